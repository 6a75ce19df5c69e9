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
) => RecordProblem | undefined;

export const MAX_NAME_BYTES = 512;
const EARLIEST_US = Date.UTC(2000, 0, 1) * 1000;
const MAX_FUTURE_US = 3600e6;

/** A record time in µs since the epoch; 0 means "when the collector got it". */
export function checkTime(field: string, value: number, nowUs: number): RecordProblem | undefined {
  if (value === 0) return undefined;
  if (value < EARLIEST_US) return { field, reason: `${value} is not microseconds since the epoch` };
  if (value > nowUs + MAX_FUTURE_US) return { field, reason: 'more than an hour in the future' };
  return undefined;
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
    return { field: 'record', reason: `malformed protobuf: ${(err as Error).message}` };
  }
}

export const isProblem = (value: object): value is RecordProblem => !isMessage(value);

/** The first problem of a list of checks, in order. */
export const firstProblem = (...checks: (() => RecordProblem | undefined)[]): RecordProblem | undefined => {
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return undefined;
};
