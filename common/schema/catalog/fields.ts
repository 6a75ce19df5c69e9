import { recordTime } from './expressions.js';
import type { Field } from './types.js';

/** A column read from the record field of the same name, added by migration `since`. */
export const field = <F extends Field = Field>(
  column: string,
  type: string,
  read: string,
  since: number,
  more: Partial<F> = {},
): F => ({ column, type, proto: column, read, since, ...more }) as F;

/** The row's time: the record's `timestamp`, or when the collector got the batch where it is 0. */
export const timestampField = (since: number): Field => ({
  column: 'time',
  type: "DateTime64(6, 'UTC')",
  codec: 'CODEC(DoubleDelta, ZSTD(1))',
  proto: 'timestamp',
  read: 'UInt64',
  insert: recordTime,
  since,
});

/**
 * When the warehouse stored the row (its own clock). Snapshots read the rows stored after they were
 * taken, whatever their time, so an event that reached the warehouse late is never missed.
 */
export const storedAtField = (since: number): Field => ({
  column: 'stored_at',
  type: "DateTime64(6, 'UTC')",
  codec: 'CODEC(DoubleDelta, ZSTD(1))',
  insert: () => 'now64(6)',
  since,
});
