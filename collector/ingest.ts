import { create } from '@bufbuild/protobuf';
import { topicOf, type Bus } from '../common/bus/bus.js';
import { errorMessage } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import { counter, histogram } from '../common/metrics.js';
import {
  AckSchema,
  AckStatus,
  RejectionSchema,
  type Ack,
  type PayloadKind,
  type Rejection,
} from '../common/proto.js';
import { encodeBusBatch, type BatchId } from '../common/bus/envelope.js';
import { checkFlowRecord } from './validation/flow.js';
import { forEachRecord, frameRecords } from '../common/wire/frames.js';
import { WireError } from '../common/wire/reader.js';
import type { PayloadRange } from './requests.js';
import { checkInterfaceStatsRecord } from './validation/interface-stats.js';
import type { RecordCheck } from './validation/record.js';
import { checkRouteRecord } from './validation/route.js';
import { uveCheck } from './validation/uve.js';

/** One line per batch at most, rate-limited per generator: a sender cannot flood the log. */
const log = rateLimited(logger('collector'));
const records = counter('fabricscope_collector_records_total', 'Records received, by kind and outcome', [
  'kind',
  'outcome',
]);
const rejectedFields = counter(
  'fabricscope_collector_rejected_records_total',
  'Records refused, by kind and the field found wrong',
  ['kind', 'field'],
);
const batches = counter('fabricscope_collector_batches_total', 'Batches answered, by ack status', ['status']);
const batchSeconds = histogram(
  'fabricscope_collector_batch_duration_seconds',
  'Time from a batch received to its ack: validation and the bus publish (embedded, the log fsync)',
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

export interface IngestLimits {
  maxBatchRecords: number;
  maxUveBytes: number;
  /** How far ahead of this clock a record time may be (ms); default 1 h. */
  maxClockSkew?: number;
}

/** Validates a batch record by record, puts the good ones on the bus and says what became of each. */
export class Ingest {
  private readonly checks: Record<PayloadKind, RecordCheck>;

  constructor(
    private readonly bus: Bus,
    private readonly limits: IngestLimits,
  ) {
    this.checks = {
      flows: checkFlowRecord,
      uves: uveCheck(limits.maxUveBytes),
      routes: checkRouteRecord,
      interface_stats: checkInterfaceStatsRecord,
    };
  }

  async accept(id: BatchId, buf: Buffer, payload: PayloadRange | undefined): Promise<Ack> {
    const stop = batchSeconds.startTimer();
    const ack = await this.process(id, buf, payload);
    stop();
    batches.inc({ status: AckStatus[ack.status] ?? 'UNKNOWN' });
    return ack;
  }

  private async process(id: BatchId, buf: Buffer, payload: PayloadRange | undefined): Promise<Ack> {
    const ack = create(AckSchema, { seq: BigInt(id.seq), status: AckStatus.OK });
    if (!payload) return ack;
    // Counted first (a walk of the record frames), so an oversized batch costs no validation; a
    // frame running past the batch makes the whole batch unreadable.
    let total = 0;
    try {
      forEachRecord(buf, payload.start, payload.end, () => total++);
    } catch (err) {
      if (err instanceof WireError) return this.refuse(id, `malformed batch: ${err.message}`);
      throw err;
    }
    if (total > this.limits.maxBatchRecords) {
      return this.refuse(id, `${total} records; a batch holds at most ${this.limits.maxBatchRecords}`);
    }
    const check = this.checks[payload.kind];
    let accepted = 0;
    const nowUs = Date.now() * 1000;
    const skewUs = (this.limits.maxClockSkew ?? 3600e3) * 1000;
    forEachRecord(buf, payload.start, payload.end, (start, end) => {
      const problem = check(buf, start, end, nowUs, skewUs);
      if (problem)
        ack.rejections.push(create(RejectionSchema, { index: accepted + ack.rejections.length, ...problem }));
      else accepted++;
    });
    this.countRejections(id, payload.kind, ack.rejections);
    if (accepted === 0) return ack;
    const kept =
      ack.rejections.length === 0
        ? buf.subarray(payload.start, payload.end)
        : frameRecords(buf, goodRanges(buf, payload, ack.rejections));
    try {
      const value = encodeBusBatch({ ...id, receivedAt: nowUs }, payload.kind, kept);
      // Keyed by the generator's host, so one generator's batches stay in order on one partition.
      await this.bus.publish(topicOf[payload.kind], [{ key: id.generator.split(':')[0]!, value }]);
    } catch (err) {
      const fields = { generator: id.generator, seq: id.seq, err: errorMessage(err) };
      log.warn(id.generator, fields, 'batch not made durable');
      return create(AckSchema, { seq: ack.seq, status: AckStatus.UNAVAILABLE, message: errorMessage(err) });
    }
    ack.accepted = accepted;
    records.inc({ kind: payload.kind, outcome: 'accepted' }, accepted);
    return ack;
  }

  private refuse(id: BatchId, message: string): Ack {
    log.warn(id.generator, { generator: id.generator, seq: id.seq, reason: message }, 'batch refused');
    return create(AckSchema, { seq: BigInt(id.seq), status: AckStatus.INVALID, message });
  }

  private countRejections(id: BatchId, kind: string, rejections: Rejection[]): void {
    if (rejections.length === 0) return;
    records.inc({ kind, outcome: 'rejected' }, rejections.length);
    for (const r of rejections) rejectedFields.inc({ kind, field: r.field });
    const first = rejections[0]!;
    const fields = { generator: id.generator, seq: id.seq, rejected: rejections.length, first };
    log.warn(`${id.generator} ${first.field}`, fields, 'records refused');
  }
}

/**
 * The ranges of a batch's records but the rejected ones: walked again only when some were refused,
 * so a good batch costs no range per record.
 */
function goodRanges(
  buf: Buffer,
  payload: PayloadRange,
  rejections: readonly Rejection[],
): [number, number][] {
  const rejected = new Set(rejections.map((r) => r.index));
  const ranges: [number, number][] = [];
  let index = 0;
  forEachRecord(buf, payload.start, payload.end, (start, end) => {
    if (!rejected.has(index++)) ranges.push([start, end]);
  });
  return ranges;
}
