import type { Bus, BusMessage, Subscription } from '../common/bus/bus.js';
import { decodeBusBatch, encodeStamp, frameRows, type BatchId } from '../common/bus/envelope.js';
import { logger } from '../common/log.js';
import { counter, histogram } from '../common/metrics.js';
import { storedBatches } from '../common/schema/stored-batches.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import type { WriterRoute } from './routes.js';
import { SeenBatches } from './seen-batches.js';

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
      const framed = frameRows(message.value, batch.start, batch.end, encodeStamp(batch.header));
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
    const stored = await storedBatches(this.warehouse, this.table, this.options.dedupWindowHours);
    for (const id of stored) this.seen.add(id);
    log.info({ table: this.table, batches: stored.length }, 'loaded the batches the warehouse holds');
  }
}
