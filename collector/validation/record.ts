import { fromBinary, isMessage, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

/** Why a record was refused: the field and the reason, as the ack reports them. */
export interface RecordProblem {
  field: string;
  reason: string;
}

/** Checks one record: the bytes [start, end) of buf. undefined means it can be stored as it is. */
export type RecordCheck = (
  buf: Buffer,
  start: number,
  end: number,
  nowUs: number,
  maxClockSkewUs?: number,
) => RecordProblem | undefined;

export const MAX_NAME_BYTES = 512;
const EARLIEST_US = Date.UTC(2000, 0, 1) * 1000;
/** How far ahead of the collector's clock a record time may be (--max-clock-skew's default). */
export const DEFAULT_MAX_CLOCK_SKEW_US = 3600e6;
const DAY_US = 86_400e6;

/** What a record time may be: not further ahead than the skew, not older than the retention. */
export interface TimeBounds {
  maxClockSkewUs: number;
  /** The days its table keeps a row by this time (catalog TTL); none: no lower bound but 2000. */
  retentionDays?: number | undefined;
}

const seconds = (us: number): string => (us % 3600e6 === 0 ? `${us / 3600e6} h` : `${us / 1e6} s`);

/** A record time in µs since the epoch; 0 means "when the collector got it". */
export function checkTime(
  field: string,
  value: number,
  nowUs: number,
  bounds: TimeBounds = { maxClockSkewUs: DEFAULT_MAX_CLOCK_SKEW_US },
): RecordProblem | undefined {
  if (value === 0) return undefined;
  if (value < EARLIEST_US) return { field, reason: `${value} is not microseconds since the epoch` };
  if (value > nowUs + bounds.maxClockSkewUs)
    return { field, reason: `more than ${seconds(bounds.maxClockSkewUs)} in the future (--max-clock-skew)` };
  if (bounds.retentionDays !== undefined && value < nowUs - bounds.retentionDays * DAY_US)
    return { field, reason: `older than the ${bounds.retentionDays}-day retention` };
  return undefined;
}

/**
 * How deeply a JSON text nests objects and arrays, counted without parsing (so a hostile depth costs
 * one pass, not a recursion).
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** A name-like text: present when required, and not longer than MAX_NAME_BYTES. */
export function checkName(field: string, value: string, required: boolean): RecordProblem | undefined {
  if (required && value.trim() === '') return { field, reason: 'missing' };
  if (Buffer.byteLength(value) > MAX_NAME_BYTES)
    return { field, reason: `longer than ${MAX_NAME_BYTES} bytes` };
  return undefined;
}

/**
 * Decodes a low-volume record (UVE, route, interface stats) into its generated message, or says why it
 * cannot be read. Flows never come here: they are checked on the wire.
 */
export function decodeRecord<Desc extends DescMessage>(
  schema: Desc,
  buf: Buffer,
  start: number,
  end: number,
): MessageShape<Desc> | RecordProblem {
  try {
    return fromBinary(schema, buf.subarray(start, end), { readUnknownFields: false });
  } catch (err) {
    return malformed(err as Error);
  }
}

/** A record that is not sound protobuf. */
export const malformed = (err: Error): RecordProblem => ({
  field: 'record',
  reason: `malformed protobuf: ${err.message}`,
});

export const isProblem = (value: object): value is RecordProblem => !isMessage(value);

/** The first problem of a list of checks, in order. */
export const firstProblem = (...checks: (() => RecordProblem | undefined)[]): RecordProblem | undefined => {
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return undefined;
};
