import type { Bus, BusMessage, Subscription } from '../common/bus/bus.js';
import {
  decodeBusBatch,
  encodeStamp,
  frameRows,
  type BatchId,
  type BusBatchHeader,
} from '../common/bus/envelope.js';
import { errorMessage } from '../common/errors.js';
import { logger } from '../common/log.js';
import { counter, histogram } from '../common/metrics.js';
import { storedBatches } from '../common/schema/stored-batches.js';
import { forEachRecord, frameRecords } from '../common/wire/frames.js';
import { classifyWarehouseError } from '../common/warehouse/errors.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { deadLetteredBatches, storeDeadLetters, type DeadLetter } from './dead-letters.js';
import type { WriterRoute } from './routes.js';
import { SeenBatches } from './seen-batches.js';

const log = logger('writer');
const rowsWritten = counter('fabricscope_writer_rows_total', 'Rows stored in the warehouse', ['table']);
const duplicates = counter(
  'fabricscope_writer_duplicate_batches_total',
  'Batches skipped because the warehouse holds them already (resent after a reconnect)',
  ['table'],
);
const deadLetters = counter(
  'fabricscope_writer_dead_letters_total',
  'Records the warehouse refused for what they hold, stored in dead_letters instead of their table',
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

/** A fresh batch of a delivery, and which of its records an earlier attempt stored already. */
interface Batch {
  header: BusBatchHeader;
  value: Buffer;
  start: number;
  end: number;
  stamp: Buffer;
  /** Indices of records stored or dead-lettered by an interrupted earlier attempt (a split batch). */
  done: Set<number> | undefined;
  /** The records' byte ranges, read only when the batch is split. */
  ranges?: [number, number][];
}

/** Some records of a batch, by index; all of them (not yet done) when `indices` is undefined. */
interface Part {
  batch: Batch;
  indices: number[] | undefined;
}

const batchKey = (id: BatchId): string => `${id.epoch}|${id.seq}|${id.generator}`;

/**
 * Moves the batches of one topic from the bus into its table, each batch stored once however often
 * it is resent.
 *
 * A delivery is one insert. When the warehouse refuses it for its data (common/warehouse/errors.ts),
 * the writer isolates the records at fault: it halves the delivery by batches, then a batch by its
 * records, inserting each part, until the parts the warehouse takes are stored (with their batch
 * stamp) and each record it still refuses alone is a dead letter (`dead_letters`, with the refusal).
 * The delivery then resolves: the bus commits past it, on Kafka after the dead letters are stored.
 * Any other refusal fails the delivery, which the bus delivers again (transient: retried as is).
 *
 * Dedup of a split batch: a batch counts as stored (`seen`) once every one of its records is stored
 * or dead-lettered. Until then the writer remembers which of its records are (`partial`), so a
 * transient failure halfway through an isolation, and the redelivery that follows, stores none twice
 * and loses none. After a restart a batch is known as stored by any row in its table or in
 * `dead_letters`: a writer that dies halfway through splitting a batch (its warehouse refusing
 * data, then the process ending) loses that batch's records not yet stored nor dead-lettered.
 */
export class BatchWriter {
  private readonly seen = new SeenBatches();
  /** Batches split by an attempt that did not finish: the indices of their records done. */
  private readonly partial = new Map<string, Set<number>>();
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

  /**
   * Stores one delivery, as one insert unless the warehouse refuses its data (then the records at
   * fault become dead letters); throws (and is redelivered) when the warehouse fails otherwise.
   */
  async write(delivery: BusMessage[]): Promise<void> {
    const batches = this.freshBatches(delivery);
    if (batches.length === 0) return;
    let rows = 0;
    const dead: { part: Part; index: number; letter: DeadLetter }[] = [];
    const store = async (parts: Part[], isolating: boolean): Promise<void> => {
      const framed = parts.map((p) => this.frame(p));
      const stopTimer = insertSeconds.startTimer({ table: this.table });
      await this.warehouse.insertProtobuf(
        this.route.insert,
        framed.map((f) => f.bytes),
      );
      stopTimer();
      // Only a part of an isolation is remembered: the whole delivery stored at once is done.
      if (isolating) for (const part of parts) this.markDone(part);
      rows += framed.reduce((n, f) => n + f.rows, 0);
    };
    const refused = async (part: Part, index: number, err: unknown, code: number): Promise<void> => {
      const [s, e] = this.ranges(part.batch)[index]!;
      const record = Buffer.from(part.batch.value.subarray(s, e));
      dead.push({
        part,
        index,
        letter: { header: part.batch.header, index, record, code, error: errorMessage(err) },
      });
    };
    const parts: Part[] = batches
      .map((batch) => ({ batch, indices: undefined }))
      .filter((part) => part.batch.done === undefined || this.pending(part).length > 0);
    if (parts.length > 0) await this.storeOrIsolate(parts, store, refused, false);
    if (dead.length > 0) {
      await storeDeadLetters(
        this.warehouse,
        this.route.topic,
        this.table,
        dead.map((d) => d.letter),
      );
      for (const d of dead) this.markDone({ batch: d.part.batch, indices: [d.index] });
      this.reportDead(dead.map((d) => d.letter));
    }
    await this.route.afterInsert?.(this.warehouse);
    for (const batch of batches) {
      this.partial.delete(batchKey(batch.header));
      if (this.route.dedup) this.seen.add(batch.header);
    }
    rowsWritten.inc({ table: this.table }, rows);
  }

  /** The delivery's batches not stored yet, each once. */
  private freshBatches(delivery: BusMessage[]): Batch[] {
    const batches: Batch[] = [];
    const inDelivery = new SeenBatches();
    for (const message of delivery) {
      const decoded = decodeBusBatch(message.value);
      const { header } = decoded;
      if (this.route.dedup) {
        if (this.seen.has(header) || inDelivery.has(header)) {
          duplicates.inc({ table: this.table });
          continue;
        }
        inDelivery.add(header);
      }
      batches.push({
        header,
        value: message.value,
        start: decoded.start,
        end: decoded.end,
        stamp: encodeStamp(header),
        done: this.route.dedup ? this.partial.get(batchKey(header)) : undefined,
      });
    }
    return batches;
  }

  /**
   * Inserts the parts; when the warehouse refuses their data, halves them (by batch, then by record)
   * and tries each half, down to single records, which `refused` takes. Transient errors propagate.
   */
  private async storeOrIsolate(
    parts: Part[],
    store: (parts: Part[], isolating: boolean) => Promise<void>,
    refused: (part: Part, index: number, err: unknown, code: number) => Promise<void>,
    isolating: boolean,
  ): Promise<void> {
    try {
      await store(parts, isolating);
    } catch (err) {
      const refusal = classifyWarehouseError(err);
      if (!refusal.permanent) throw err;
      const halves = this.halve(parts);
      if (halves === undefined) {
        const [part] = parts;
        await refused(part!, this.pending(part!)[0]!, err, refusal.code);
        return;
      }
      for (const half of halves) await this.storeOrIsolate(half, store, refused, true);
    }
  }

  /** Two halves of the parts, or of the records of a single part; undefined for a single record. */
  private halve(parts: Part[]): [Part[], Part[]] | undefined {
    if (parts.length > 1) {
      const middle = Math.ceil(parts.length / 2);
      return [parts.slice(0, middle), parts.slice(middle)];
    }
    const part = parts[0]!;
    const indices = this.pending(part);
    if (indices.length <= 1) return undefined;
    const middle = Math.ceil(indices.length / 2);
    return [
      [{ batch: part.batch, indices: indices.slice(0, middle) }],
      [{ batch: part.batch, indices: indices.slice(middle) }],
    ];
  }

  /** The indices of a part's records, those done before left out. */
  private pending(part: Part): number[] {
    if (part.indices) return part.indices;
    const { done } = part.batch;
    return this.ranges(part.batch)
      .map((_, i) => i)
      .filter((i) => !done?.has(i));
  }

  private ranges(batch: Batch): [number, number][] {
    if (!batch.ranges) {
      const ranges: [number, number][] = [];
      forEachRecord(batch.value, batch.start, batch.end, (s, e) => ranges.push([s, e]));
      batch.ranges = ranges;
    }
    return batch.ranges;
  }

  /** A part as rows: a whole batch as it came (the common case), else its records picked. */
  private frame(part: Part): { bytes: Buffer; rows: number } {
    const { batch } = part;
    if (part.indices === undefined && batch.done === undefined)
      return frameRows(batch.value, batch.start, batch.end, batch.stamp);
    const ranges = this.ranges(batch);
    const picked = frameRecords(
      batch.value,
      this.pending(part).map((i) => ranges[i]!),
    );
    return frameRows(picked, 0, picked.length, batch.stamp);
  }

  /** Records of a batch stored or dead-lettered: remembered until the whole batch is. */
  private markDone(part: Part): void {
    if (!this.route.dedup) return;
    const indices = this.pending(part);
    const done = (part.batch.done ??= new Set());
    for (const i of indices) done.add(i);
    this.partial.set(batchKey(part.batch.header), done);
  }

  /** Counted per record, logged once per batch. */
  private reportDead(letters: DeadLetter[]): void {
    deadLetters.inc({ table: this.table }, letters.length);
    const byBatch = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      const key = batchKey(letter.header);
      byBatch.set(key, [...(byBatch.get(key) ?? []), letter]);
    }
    for (const [, group] of byBatch) {
      const { generator, epoch, seq } = group[0]!.header;
      log.warn(
        {
          table: this.table,
          generator,
          epoch,
          seq,
          records: group.length,
          code: group[0]!.code,
          err: group[0]!.error,
        },
        'the warehouse refused records of a batch; stored them in dead_letters',
      );
    }
  }

  /**
   * After a restart the warehouse tells which batches it holds, in their table or as dead letters,
   * so a redelivery is not stored twice.
   */
  private async loadStoredBatches(): Promise<void> {
    const hours = this.options.dedupWindowHours;
    const stored = await storedBatches(this.warehouse, this.table, hours);
    const dead = await deadLetteredBatches(this.warehouse, this.table, hours);
    for (const id of [...stored, ...dead]) this.seen.add(id);
    log.info(
      { table: this.table, batches: stored.length, deadLettered: dead.length },
      'loaded the batches the warehouse holds',
    );
  }
}
