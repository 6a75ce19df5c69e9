import { afterPosition } from '../../common/sql/keyset.js';
import { Params, type BuiltQuery } from '../../common/sql/params.js';
import type { TimeRange } from '../../common/sql/time-range.js';

/** Where a listing stopped: the sort key of its last row (newest first). */
export interface DeadLetterPosition {
  deadAt: number;
  generator: string;
  epoch: string;
  seq: string;
  index: number;
}

/** The order of a listing, each column with the type its cursor value binds as. */
const key = [
  ['toUnixTimestamp64Micro(dead_at)', 'Int64'],
  ['generator', 'String'],
  ['batch_epoch', 'UInt64'],
  ['batch_seq', 'UInt64'],
  ['record_index', 'UInt32'],
] as const;

/** `limit` dead letters of [from, to), newest first, after `after`. */
export function deadLettersQuery(
  range: TimeRange,
  limit: number,
  narrow: { generator?: string; kind?: string; after?: DeadLetterPosition },
): BuiltQuery {
  const params = new Params();
  const at = (us: number) => `fromUnixTimestamp64Micro(${params.add('Int64', us)}, 'UTC')`;
  const conditions = [`dead_at >= ${at(range.fromUs)}`, `dead_at < ${at(range.toUs)}`];
  if (narrow.generator) conditions.push(`generator = ${params.add('String', narrow.generator)}`);
  if (narrow.kind) conditions.push(`topic = ${params.add('String', narrow.kind)}`);
  const { after } = narrow;
  if (after) {
    const position = [after.deadAt, after.generator, after.epoch, after.seq, after.index] as const;
    conditions.push(afterPosition(key, position, 'descending', params));
  }
  const sql = `SELECT toUnixTimestamp64Micro(dead_at) AS deadAt, toString(received_at) AS receivedAt,
      toString(topic) AS kind, toString(target) AS target, toString(generator) AS generator,
      toString(batch_epoch) AS epoch, toString(batch_seq) AS seq, record_index AS recordIndex,
      base64Encode(record) AS record, error_code AS errorCode, error
    FROM dead_letters WHERE ${conditions.join(' AND ')}
    ORDER BY ${key.map(([column]) => `${column} DESC`).join(', ')}
    LIMIT ${params.add('UInt32', limit)}`;
  return { sql, params: params.values };
}
