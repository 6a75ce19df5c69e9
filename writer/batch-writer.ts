import {
  writerGroup,
  type Bus,
  type BusMessage,
  type Subscription,
  type TopicKind,
} from '../common/bus/bus.js';
import { decodeBusBatch, encodeStamp, frameRows, type BusBatchHeader } from '../common/bus/envelope.js';
import { errorMessage } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import { counter, histogram } from '../common/metrics.js';
import { storedBatches } from '../common/schema/stored-batches.js';
import { forEachRecord, frameRecords } from '../common/wire/frames.js';
import { classifyWarehouseError } from '../common/warehouse/errors.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import type { StoredBatch } from './fabric-metrics/index.js';
import { deadLetteredBatches, storeDeadLetters, type DeadLetter } from './dead-letters.js';
import { batchKey, heldRecords } from './held-records.js';
import type { WriterRoute } from './routes.js';
import { SeenBatches } from './seen-batches.js';

const log = logger('writer');
/** Dead letters come from what generators send: a sender's storm of bad records must not flood the log. */
const deadLetterLog = rateLimited(log);
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
  /** Told each batch once it is stored, once (a resend recognised is not): the fabric metrics. */
  onStored?: (topic: TopicKind, batch: StoredBatch) => void;
}

/** A fresh batch of a delivery. */
interface Batch {
  header: BusBatchHeader;
  value: Buffer;
  start: number;
  end: number;
  stamp: Buffer;
  /**
   * Its records [0, done) are stored or dead-lettered already, by an attempt that was cut off while
   * it isolated the records at fault (in this process, or in a writer that died).
   */
  done: number;
  /** The records' byte ranges, read only when the batch is split. */
  ranges?: [number, number][];
}

/** Records [from, to) of a batch; `to` undefined: up to its end. */
interface Part {
  batch: Batch;
  from: number;
  to?: number;
}

/** The records of a delivery refused alone: found (not stored yet), and stored in dead_letters. */
interface Progress {
  dead: { batch: Batch; letter: DeadLetter }[];
  stored: DeadLetter[];
}

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
 * Dedup of a split batch: the isolation goes through a batch's records in order, and stores the dead
 * letters found before it inserts any later record, so what is done of a batch (stored or
 * dead-lettered) is always a prefix of its records. A batch counts as stored (`seen`) once all of
 * them are; until then a redelivery resumes after that prefix: remembered (`partial`) after a
 * transient failure, and told by the warehouse after a restart (the batch's rows in its table plus
 * its dead letters). So neither a failure nor a writer dying halfway through an isolation loses a
 * record or stores one twice.
 */
export class BatchWriter {
  private readonly seen = new SeenBatches();
  /** Batches the warehouse held when this writer started: stored whole, or cut off mid-isolation. */
  private readonly held = new SeenBatches();
  /** Batches an isolation did not finish: how many of their records (a prefix) are done. */
  private readonly partial = new Map<string, number>();
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
    const group = writerGroup(this.route.topic);
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
    const batches = await this.freshBatches(delivery);
    if (batches.length === 0) return;
    const progress: Progress = { dead: [], stored: [] };
    const parts: Part[] = batches
      .filter((batch) => batch.done === 0 || batch.done < this.ranges(batch).length)
      .map((batch) => ({ batch, from: batch.done }));
    try {
      if (parts.length > 0) await this.storeOrIsolate(parts, progress, false);
      await this.storeDeadLetters(progress);
    } finally {
      this.logDead(progress.stored);
    }
    await this.route.afterInsert?.(
      this.warehouse,
      batches.map((batch) => batch.value),
    );
    for (const batch of batches) {
      this.partial.delete(batchKey(batch.header));
      if (this.route.dedup) this.seen.add(batch.header);
      this.options.onStored?.(this.route.topic, batch);
    }
  }

  /** The delivery's batches not stored yet, each once, each from where an earlier attempt left it. */
  private async freshBatches(delivery: BusMessage[]): Promise<Batch[]> {
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
        done: (this.route.dedup && this.partial.get(batchKey(header))) || 0,
      });
    }
    return this.route.dedup ? this.resume(batches) : batches;
  }

  /**
   * Of the batches the warehouse held when this writer started, asks how many records it holds:
   * all of them (a resend, skipped) or a prefix (a writer died isolating the batch: resumed after it).
   */
  private async resume(batches: Batch[]): Promise<Batch[]> {
    const held = batches.filter((b) => this.held.has(b.header) && !this.partial.has(batchKey(b.header)));
    if (held.length === 0) return batches;
    const hours = this.options.dedupWindowHours;
    const counts = await heldRecords(
      this.warehouse,
      this.table,
      held.map((b) => b.header),
      hours,
    );
    const stored = new Set<Batch>();
    for (const batch of held) {
      const done = counts.get(batchKey(batch.header)) ?? 0;
      if (done >= this.ranges(batch).length) {
        stored.add(batch);
        this.seen.add(batch.header);
        duplicates.inc({ table: this.table });
        continue;
      }
      batch.done = done;
      this.partial.set(batchKey(batch.header), done);
      const { generator, epoch, seq } = batch.header;
      log.warn(
        { table: this.table, generator, epoch, seq, done, records: this.ranges(batch).length },
        'resuming a batch a previous writer stopped isolating records of',
      );
    }
    return batches.filter((b) => !stored.has(b));
  }

  /**
   * Inserts the parts; when the warehouse refuses their data, halves them (by batch, then by record)
   * and tries each half in order, down to single records, which become dead letters. Transient
   * errors propagate.
   */
  private async storeOrIsolate(parts: Part[], progress: Progress, isolating: boolean): Promise<void> {
    // The dead letters found so far first: a batch's records are then done in order (see above).
    await this.storeDeadLetters(progress);
    try {
      await this.store(parts, isolating);
    } catch (err) {
      const refusal = classifyWarehouseError(err);
      if (!refusal.permanent) throw err;
      const halves = this.halve(parts);
      if (halves === undefined) {
        progress.dead.push(this.deadLetter(parts[0]!, err, refusal.code));
        return;
      }
      for (const half of halves) await this.storeOrIsolate(half, progress, true);
    }
  }

  private async store(parts: Part[], isolating: boolean): Promise<void> {
    const framed = parts.map((p) => this.frame(p));
    const stopTimer = insertSeconds.startTimer({ table: this.table });
    await this.warehouse.insertProtobuf(
      this.route.insert,
      framed.map((f) => f.bytes),
    );
    stopTimer();
    rowsWritten.inc(
      { table: this.table },
      framed.reduce((n, f) => n + f.rows, 0),
    );
    // Only a part of an isolation is remembered: the whole delivery stored at once is done.
    if (isolating) for (const part of parts) this.markDone(part.batch, this.end(part));
  }

  /** Two halves of the parts, or of the records of a single part; undefined for a single record. */
  private halve(parts: Part[]): [Part[], Part[]] | undefined {
    if (parts.length > 1) {
      const middle = Math.ceil(parts.length / 2);
      return [parts.slice(0, middle), parts.slice(middle)];
    }
    const { batch, from } = parts[0]!;
    const to = this.end(parts[0]!);
    if (to - from <= 1) return undefined;
    const middle = from + Math.ceil((to - from) / 2);
    return [[{ batch, from, to: middle }], [{ batch, from: middle, to }]];
  }

  private end(part: Part): number {
    return part.to ?? this.ranges(part.batch).length;
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
    const { batch, from, to } = part;
    if (from === 0 && to === undefined) return frameRows(batch.value, batch.start, batch.end, batch.stamp);
    const picked = frameRecords(batch.value, this.ranges(batch).slice(from, to));
    return frameRows(picked, 0, picked.length, batch.stamp);
  }

  /** The single record of a part the warehouse refuses alone, as a dead letter. */
  private deadLetter(part: Part, err: unknown, code: number): Progress['dead'][number] {
    const [s, e] = this.ranges(part.batch)[part.from]!;
    const record = Buffer.from(part.batch.value.subarray(s, e));
    const letter = { header: part.batch.header, index: part.from, record, code, error: errorMessage(err) };
    return { batch: part.batch, letter };
  }

  private async storeDeadLetters(progress: Progress): Promise<void> {
    const { dead } = progress;
    if (dead.length === 0) return;
    await storeDeadLetters(
      this.warehouse,
      this.route.topic,
      this.table,
      dead.map((d) => d.letter),
    );
    progress.dead = [];
    for (const d of dead) this.markDone(d.batch, d.letter.index + 1);
    progress.stored.push(...dead.map((d) => d.letter));
    deadLetters.inc({ table: this.table }, dead.length);
  }

  /** A batch's records up to `end` are stored or dead-lettered: remembered until all of them are. */
  private markDone(batch: Batch, end: number): void {
    batch.done = end;
    if (this.route.dedup) this.partial.set(batchKey(batch.header), end);
  }

  /** Dead letters are counted as they are stored, and logged once per batch of a delivery. */
  private logDead(letters: DeadLetter[]): void {
    const byBatch = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      const key = batchKey(letter.header);
      byBatch.set(key, [...(byBatch.get(key) ?? []), letter]);
    }
    for (const [, group] of byBatch) {
      const { generator, epoch, seq } = group[0]!.header;
      deadLetterLog.warn(
        `${this.table} ${generator}`,
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
   * so a redelivery is not stored twice (or resumes where a writer that died left it: resume()).
   */
  private async loadStoredBatches(): Promise<void> {
    const hours = this.options.dedupWindowHours;
    const stored = await storedBatches(this.warehouse, this.table, hours);
    const dead = await deadLetteredBatches(this.warehouse, this.table, hours);
    for (const id of [...stored, ...dead]) this.held.add(id);
    log.info(
      { table: this.table, batches: stored.length, deadLettered: dead.length },
      'loaded the batches the warehouse holds',
    );
  }
}
