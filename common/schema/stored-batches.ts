import type { BatchId } from '../bus/envelope.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * The batches a bus-fed table holds among those received in the last `hours`: a writer that starts
 * again loads them, so a batch redelivered after a crash is recognised and not stored twice.
 */
export async function storedBatches(warehouse: Warehouse, table: string, hours: number): Promise<BatchId[]> {
  const rows = await warehouse.query<{ generator: string; epoch: string; seqs: string[] }>(
    `SELECT generator, toString(batch_epoch) AS epoch, groupUniqArray(toString(batch_seq)) AS seqs
     FROM ${table} WHERE received_at > now() - toIntervalHour({hours:UInt32})
     GROUP BY generator, batch_epoch`,
    { hours },
  );
  return rows.flatMap((row) =>
    row.seqs.map((seq) => ({ generator: row.generator, epoch: Number(row.epoch), seq: Number(seq) })),
  );
}
