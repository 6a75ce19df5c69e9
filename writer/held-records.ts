import type { BatchId } from '../common/bus/envelope.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';

const key = (id: BatchId): string => `${id.epoch}|${id.seq}|${id.generator}`;

/**
 * How many records of each batch the warehouse holds: its rows in `table` plus its dead letters
 * (received within the last `hours`). Keyed `epoch|seq|generator`; a batch it holds none of is absent.
 */
export async function heldRecords(
  warehouse: Warehouse,
  table: string,
  ids: readonly BatchId[],
  hours: number,
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const batches = `(generator, batch_epoch, batch_seq) IN (SELECT b.1, b.2, b.3 FROM (SELECT arrayJoin(
    arrayZip({generators:Array(String)}, {epochs:Array(UInt64)}, {seqs:Array(UInt64)})) AS b))`;
  const rows = await warehouse.query<{ generator: string; epoch: string; seq: string; n: string }>(
    `SELECT generator, toString(batch_epoch) AS epoch, toString(batch_seq) AS seq, count() AS n FROM (
       SELECT generator, batch_epoch, batch_seq FROM ${table}
       WHERE received_at > now() - toIntervalHour({hours:UInt32}) AND ${batches}
       UNION ALL
       SELECT generator, batch_epoch, batch_seq FROM dead_letters
       WHERE target = {target:String} AND dead_at > now() - toIntervalHour({hours:UInt32}) AND ${batches})
     GROUP BY generator, batch_epoch, batch_seq`,
    {
      target: table,
      hours,
      generators: ids.map((id) => id.generator),
      epochs: ids.map((id) => id.epoch),
      seqs: ids.map((id) => id.seq),
    },
  );
  return new Map(
    rows.map((r) => [
      key({ generator: r.generator, epoch: Number(r.epoch), seq: Number(r.seq) }),
      Number(r.n),
    ]),
  );
}

export { key as batchKey };
