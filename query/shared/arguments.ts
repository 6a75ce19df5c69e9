import { parseDuration } from '../../common/duration.js';
import { invalid } from '../../common/errors.js';

/** Arguments several fields share: a series step, a top-N, a page size. */

/** The most points one series answer holds, the most groups a top-N asks for, the largest page. */
export const MAX_POINTS = 2000;
const MAX_TOP = 1000;
const MAX_PAGE = 1000;

const niceSteps = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/** The step asked for, or about 300 points over the range, rounded up to a step people read easily. */
export function stepSeconds(step: string | null | undefined, spanUs: number): number {
  if (step) {
    const seconds = parseDuration(step, 'step') / 1000;
    if (!Number.isInteger(seconds) || seconds < 1) throw invalid(`step: "${step}" must be whole seconds`);
    if (spanUs / 1e6 / seconds > MAX_POINTS)
      throw invalid(`step: "${step}" gives more than ${MAX_POINTS} points`);
    return seconds;
  }
  const wanted = spanUs / 1e6 / 300;
  return niceSteps.find((s) => s >= wanted) ?? Math.ceil(wanted / 86400) * 86400;
}

/** A count argument between 1 and `max`, or an error naming it. */
function checkCount(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`${name}: ${value} is not between 1 and ${max}`);
  return value;
}

export const checkTop = (top: number): number => checkCount('top', top, MAX_TOP);
export const checkFirst = (first: number, max = MAX_PAGE): number => checkCount('first', first, max);
