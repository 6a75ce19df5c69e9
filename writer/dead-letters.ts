import type { BusBatchHeader, BatchId } from '../common/bus/envelope.js';
import type { TopicKind } from '../common/bus/bus.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';

/** A record the warehouse refused for what it holds, with its batch's stamp and the refusal. */
export interface DeadLetter {
  header: BusBatchHeader;
  /** The record's position in its batch, from 0. */
  index: number;
  record: Buffer;
  code: number;
  error: string;
}

/** Longer refusal texts are cut: the engine repeats itself, and the start says what was wrong. */
const MAX_ERROR = 2000;

/**
 * Stores dead letters in `dead_letters` (migration 3) in one insert. The record bytes travel as
 * base64 parameters: bound server-side, binary-safe, never SQL text.
 */
export async function storeDeadLetters(
  warehouse: Warehouse,
  topic: TopicKind,
  target: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  await warehouse.exec(
    `INSERT INTO dead_letters
       (received_at, topic, target, generator, batch_epoch, batch_seq, record_index, record, error_code, error)
     SELECT fromUnixTimestamp64Micro(toInt64(l.1), 'UTC'), {topic:String}, {target:String}, l.2, l.3, l.4,
       l.5, base64Decode(l.6), l.7, l.8
     FROM (SELECT arrayJoin(arrayZip({received:Array(UInt64)}, {generators:Array(String)},
       {epochs:Array(UInt64)}, {seqs:Array(UInt64)}, {indices:Array(UInt32)}, {records:Array(String)}, {codes:Array(UInt32)},
       {errors:Array(String)})) AS l)`,
    {
      topic,
      target,
      received: letters.map((l) => l.header.receivedAt),
      generators: letters.map((l) => l.header.generator),
      epochs: letters.map((l) => l.header.epoch),
      seqs: letters.map((l) => l.header.seq),
      indices: letters.map((l) => l.index),
      records: letters.map((l) => l.record.toString('base64')),
      codes: letters.map((l) => l.code),
      errors: letters.map((l) => l.error.slice(0, MAX_ERROR)),
    },
  );
}

/** The batches of a table with dead letters among those dead-lettered in the last `hours`. */
export async function deadLetteredBatches(
  warehouse: Warehouse,
  target: string,
  hours: number,
): Promise<BatchId[]> {
  const rows = await warehouse.query<{ generator: string; epoch: string; seq: string }>(
    `SELECT DISTINCT generator, toString(batch_epoch) AS epoch, toString(batch_seq) AS seq
     FROM dead_letters WHERE target = {target:String} AND dead_at > now() - toIntervalHour({hours:UInt32})`,
    { target, hours },
  );
  return rows.map((row) => ({ generator: row.generator, epoch: Number(row.epoch), seq: Number(row.seq) }));
}
