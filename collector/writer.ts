import type { Bus, BusMessage, Subscription } from '../common/bus/bus.js';
import { logger } from '../common/log.js';
import { counter, histogram } from '../common/metrics.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { messages } from '../common/proto.js';
import { decodeBusBatch, type BatchId } from './bus-batch.js';
import { forEachRecord } from './frames.js';
import { SeenBatches } from './seen-batches.js';
import { putVarint, varintSize, WireType } from './wire.js';
import type { WriterRoute } from './writer-routes.js';

const log = logger('writer');
const rowsWritten = counter('fabricscope_writer_rows_total', 'Rows stored in the warehouse', ['table']);
const duplicates = counter(
  'fabricscope_writer_duplicate_batches_total',
  'Batches skipped because the warehouse holds them already (resent after a reconnect)',
  ['table'],
);
const insertSeconds = histogram(
  'fabricscope_writer_insert_duration_seconds',
  'Time of one warehouse insert',
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ['table'],
);

export interface WriterOptions {
  maxBytes: number;
  lingerMs: number;
  dedupWindowHours: number;
}

/**
 * Moves the batches of one topic from the bus into its table, each batch stored once however often
 * it is resent.
 */
export class BatchWriter {
  private readonly seen = new SeenBatches();
  private subscription: Subscription | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  private readonly table: string;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly route: WriterRoute,
    private readonly options: WriterOptions,
  ) {
    this.table = route.insert.table;
  }

  async start(bus: Bus): Promise<void> {
    if (this.route.dedup) await this.loadStoredBatches();
    const { maxBytes, lingerMs } = this.options;
    // A consumer group per topic: members of one group that subscribe to different topics would be
    // handed each other's partitions by the group's assignor.
    const group = `writer-${this.route.topic}`;
    this.subscription = await bus.subscribe(this.route.topic, group, (m) => this.write(m), {
      maxBytes,
      lingerMs,
    });
    this.pruneTimer = setInterval(() => this.seen.prune(), 600_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.subscription?.close();
  }

  /** Stores one delivery as one insert; throws (and is redelivered) when the warehouse refuses it. */
  async write(delivery: BusMessage[]): Promise<void> {
    const fresh: BatchId[] = [];
    const frames: Buffer[] = [];
    let rows = 0;
    const inDelivery = new SeenBatches();
    for (const message of delivery) {
      const batch = decodeBusBatch(message.value);
      if (this.route.dedup) {
        if (this.seen.has(batch.header) || inDelivery.has(batch.header)) {
          duplicates.inc({ table: this.table });
          continue;
        }
        inDelivery.add(batch.header);
        fresh.push(batch.header);
      }
      const framed = frameRows(message.value, batch.start, batch.end, stamp(batch.header));
      frames.push(framed.bytes);
      rows += framed.rows;
    }
    if (frames.length === 0) return;
    const stopTimer = insertSeconds.startTimer({ table: this.table });
    await this.warehouse.insertProtobuf(this.route.insert, frames);
    await this.route.afterInsert?.(this.warehouse);
    stopTimer();
    for (const id of fresh) this.seen.add(id);
    rowsWritten.inc({ table: this.table }, rows);
  }

  /** After a restart the warehouse tells which batches it holds, so a redelivery is not stored twice. */
  private async loadStoredBatches(): Promise<void> {
    const rows = await this.warehouse.query<{ generator: string; epoch: string; seqs: string[] }>(
      `SELECT generator, toString(batch_epoch) AS epoch, groupUniqArray(toString(batch_seq)) AS seqs
       FROM ${this.table} WHERE received_at > now() - toIntervalHour({hours:UInt32})
       GROUP BY generator, batch_epoch`,
      { hours: this.options.dedupWindowHours },
    );
    for (const row of rows) {
      for (const seq of row.seqs)
        this.seen.add({ generator: row.generator, epoch: Number(row.epoch), seq: Number(seq) });
    }
    log.info({ table: this.table, generators: rows.length }, 'loaded the batches the warehouse holds');
  }
}

/** BatchStamp as field 2 of a <Kind>Row, encoded once per batch and appended to each of its records. */
function stamp(header: { generator: string; epoch: number; seq: number; receivedAt: number }): Buffer {
  const body = messages.BatchStamp.encode({
    generator: header.generator,
    epoch: header.epoch,
    seq: header.seq,
    received_at: header.receivedAt,
  }).finish();
  const out = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  out[0] = (2 << 3) + WireType.LEN;
  out.set(body, putVarint(out, 1, body.length));
  return out;
}

/** Frames each record as a length-prefixed <Kind>Row { record = 1; stamp = 2 } with a copy, no decode. */
function frameRows(
  buf: Buffer,
  start: number,
  end: number,
  stampBytes: Buffer,
): { bytes: Buffer; rows: number } {
  const ranges: [number, number][] = [];
  let size = 0;
  forEachRecord(buf, start, end, (s, e) => {
    const row = 1 + varintSize(e - s) + (e - s) + stampBytes.length;
    size += varintSize(row) + row;
    ranges.push([s, e]);
  });
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [s, e] of ranges) {
    pos = putVarint(out, pos, 1 + varintSize(e - s) + (e - s) + stampBytes.length);
    out[pos++] = (1 << 3) + WireType.LEN;
    pos = putVarint(out, pos, e - s);
    pos += buf.copy(out, pos, s, e);
    pos += stampBytes.copy(out, pos);
  }
  return { bytes: out, rows: ranges.length };
}
