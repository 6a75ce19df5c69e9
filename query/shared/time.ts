import { parseDuration } from '../../common/duration.js';
import { invalid } from '../../common/errors.js';
import type { TimeRange } from '../../common/sql/time-range.js';

/** The furthest a relative time reaches from now: ten years, beyond any retention. */
export const MAX_RELATIVE_MS = 3653 * 86400e3;
/** The instants the API reads, [1970, 2200) in microseconds: the warehouse's DateTime64 holds them all. */
export const MIN_TIME_US = 0;
export const MAX_TIME_US = Date.UTC(2200, 0, 1) * 1000;

/** `us` when the warehouse can hold it, else an error naming the argument and its text. */
export function checkTime(us: number, what: string, text: string): number {
  if (!Number.isSafeInteger(us) || us < MIN_TIME_US || us >= MAX_TIME_US)
    throw invalid(`${what}: "${text}" is outside 1970-01-01 to 2200-01-01`);
  return us;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses RFC 3339 or a time relative to now (`now`, `now-15m`, `now+1h`) into microseconds. */
export function parseTime(text: string, what: string, nowMs = Date.now()): number {
  const relative = /^now(?:([+-])(.+))?$/.exec(text.trim());
  if (relative) {
    const offset = relative[2] ? parseDuration(relative[2], what) : 0;
    if (offset > MAX_RELATIVE_MS) throw invalid(`${what}: "${text}" reaches more than 10 years from now`);
    return checkTime(Math.round((relative[1] === '-' ? nowMs - offset : nowMs + offset) * 1000), what, text);
  }
  if (!rfc3339.test(text)) throw invalid(`${what}: "${text}" is neither RFC 3339 nor like now-15m`);
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6)) % 1000;
  return checkTime(Date.parse(text) * 1000 + micros, what, text);
}

/** The range of a query; `from` defaults to `spanUs` (an hour) before `to`, `to` to now. */
export function parseRange(
  from: string | null | undefined,
  to: string | null | undefined,
  nowMs = Date.now(),
  spanUs = 3600e6,
): TimeRange {
  const toUs = to ? parseTime(to, 'to', nowMs) : nowMs * 1000;
  const fromUs = from ? parseTime(from, 'from', nowMs) : toUs - spanUs;
  if (fromUs >= toUs) throw invalid(`from (${from}) must be before to (${to ?? 'now'})`);
  return { fromUs, toUs };
}

/** Microseconds since the epoch as RFC 3339 with the microseconds, as the API prints times. */
export function microsToRfc3339(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1e6).padStart(6, '0')}Z`;
}

/** ClickHouse's DateTime64 text (UTC) as RFC 3339, keeping the microseconds. */
export function toRfc3339(clickhouseTime: string): string {
  return `${clickhouseTime.replace(' ', 'T')}Z`;
}
