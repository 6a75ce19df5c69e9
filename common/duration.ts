import { invalid } from './errors.js';

const unitMs: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** Parses durations such as 500ms, 30s, 15m, 2h, 7d, 1w into milliseconds; `what` names the input. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw invalid(`${what}: "${text}" is not a duration like 30s, 15m, 2h or 7d`);
  return Number(match[1]) * unitMs[match[2]!]!;
}
