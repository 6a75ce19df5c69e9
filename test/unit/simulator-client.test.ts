import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { messages } from '../../common/proto.js';
import { PUBLISH_METHOD } from '../../simulator/client.js';
import { simulate, type SimulationReport } from '../../simulator/index.js';
import { formatProgress, formatSummary, progressPrinter } from '../../simulator/progress.js';

/**
 * A fake collector on a real @grpc/grpc-js server: stores a batch when it arrives (so an ack lost
 * with a dropped stream makes the resend a DUPLICATE), acks after a configurable delay (so acks
 * come back out of order), and records what the sender did with its window.
 */
interface FakeOptions {
  maxInFlight: number;
  maxBatchRecords: number;
  ackDelayMs: (seq: number) => number;
  unavailableOnce: (seq: number) => boolean;
  token: string;
}

interface WireRecord {
  flow_uuid: Buffer;
  timestamp: number;
  diff_bytes: number;
  diff_packets: number;
  sampling: number;
  action: number;
}

interface Request {
  hello?: { generator: string; token: string; epoch: number };
  batch?: { seq: number; flows?: { records?: WireRecord[] } };
}

const defaults: FakeOptions = {
  maxInFlight: 4,
  maxBatchRecords: 1000,
  ackDelayMs: () => 0,
  unavailableOnce: () => false,
  token: '',
};

class FakeCollector {
  readonly stored = new Set<string>();
  readonly identities = new Set<string>();
  readonly hellos: string[] = [];
  records = 0;
  bytes = 0;
  packets = 0;
  maxOutstanding = 0;
  largestBatch = 0;
  duplicateAcks = 0;
  outOfOrderAcks = 0;
  repeatsOnOneStream = 0;
  private readonly refused = new Set<string>();
  private server = new grpc.Server();
  options: FakeOptions = defaults;

  async start(): Promise<string> {
    this.server.addService(
      {
        Publish: {
          path: PUBLISH_METHOD,
          requestStream: true,
          responseStream: true,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      { Publish: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.publish(call) },
    );
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    return `127.0.0.1:${port}`;
  }

  reset(options: Partial<FakeOptions> = {}): void {
    this.options = { ...defaults, ...options };
    this.stored.clear();
    this.identities.clear();
    this.hellos.length = 0;
    this.refused.clear();
    Object.assign(this, { records: 0, bytes: 0, packets: 0, maxOutstanding: 0, largestBatch: 0 });
    Object.assign(this, { duplicateAcks: 0, outOfOrderAcks: 0, repeatsOnOneStream: 0 });
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private publish(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    let generator = '';
    let outstanding = 0;
    let ended = false;
    let lastAcked = 0;
    const seqs = new Set<number>();
    const send = (msg: object): void => {
      if (!call.cancelled && !call.destroyed)
        call.write(Buffer.from(messages.PublishResponse.encode(msg).finish()));
    };
    const maybeEnd = (): void => {
      if (ended && outstanding === 0 && !call.cancelled) call.end();
    };
    call.on('error', () => undefined);
    call.on('end', () => {
      ended = true;
      maybeEnd();
    });
    call.on('data', (buf: Buffer) => {
      const req = messages.PublishRequest.toObject(messages.PublishRequest.decode(buf), {
        longs: Number,
        enums: Number,
      }) as Request;
      if (req.hello) {
        if ((req.hello.token ?? '') !== this.options.token) {
          call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'bad token' });
          return;
        }
        generator = `${req.hello.generator}|${req.hello.epoch}`;
        this.hellos.push(req.hello.generator);
        send({
          welcome: {
            session_id: 's',
            max_batch_records: this.options.maxBatchRecords,
            max_in_flight: this.options.maxInFlight,
          },
        });
        return;
      }
      if (!req.batch) return;
      const seq = req.batch.seq;
      if (seqs.has(seq) && !this.options.unavailableOnce(seq)) this.repeatsOnOneStream++;
      seqs.add(seq);
      outstanding++;
      this.maxOutstanding = Math.max(this.maxOutstanding, outstanding);
      const ack = this.store(`${generator}|${seq}`, seq, req.batch.flows?.records ?? []);
      setTimeout(() => {
        outstanding--;
        if (seq < lastAcked) this.outOfOrderAcks++;
        lastAcked = seq;
        send({ ack });
        maybeEnd();
      }, this.options.ackDelayMs(seq));
    });
  }

  /** Durable at once: the ack may still be lost with the stream, which is what resend must survive. */
  private store(key: string, seq: number, records: WireRecord[]): object {
    this.largestBatch = Math.max(this.largestBatch, records.length);
    if (this.stored.has(key)) {
      this.duplicateAcks++;
      return { seq, status: 2, accepted: 0 };
    }
    if (this.options.unavailableOnce(seq) && !this.refused.has(key)) {
      this.refused.add(key);
      return { seq, status: 4 };
    }
    this.stored.add(key);
    const rejections: object[] = [];
    records.forEach((r, index) => {
      if (r.flow_uuid.length !== 16)
        return void rejections.push({ index, field: 'flow_uuid', reason: 'bad length' });
      const scale = Math.max(r.sampling ?? 0, 1);
      this.records++;
      this.bytes += (r.diff_bytes ?? 0) * scale;
      this.packets += (r.diff_packets ?? 0) * scale;
      this.identities.add(`${r.flow_uuid.toString('hex')}@${r.timestamp}`);
    });
    return { seq, status: 1, accepted: records.length - rejections.length, rejections };
  }
}

const fake = new FakeCollector();
let target = '';
before(async () => {
  target = await fake.start();
});
after(() => fake.stop());

function assertMatchesCollector(report: SimulationReport, flows: number): void {
  assert.equal(report.acked, flows);
  assert.equal(fake.records, flows, 'the collector stored each record once');
  assert.equal(fake.identities.size, flows, 'every stored record has its own (flow_uuid, timestamp)');
  assert.deepEqual(report.ackedTotals, { records: flows, bytes: fake.bytes, packets: fake.packets });
  const byVrouter = Object.values(report.ackedByVrouter).reduce((n, t) => n + t.records, 0);
  const byAction = Object.values(report.ackedByAction).reduce((n, t) => n + t.bytes, 0);
  assert.equal(byVrouter, flows);
  assert.equal(byAction, fake.bytes);
}

describe('simulator generator sessions against a fake collector', () => {
  it('acks exactly --flows records, out-of-order acks included, with exact totals', async () => {
    fake.reset({ maxInFlight: 4, ackDelayMs: (seq) => (seq % 2 === 1 ? 15 : 0) });
    const report = await simulate({ target, vrouters: 3, flows: 10_000, batchSize: 333, seed: 3 });
    assertMatchesCollector(report, 10_000);
    assert.equal(report.sent, 10_000);
    assert.equal(report.resent, 0);
    assert.deepEqual(
      new Set(fake.hellos),
      new Set([0, 1, 2].map((i) => `compute-${i}:Compute:contrail-vrouter-agent:0`)),
    );
    assert.ok(fake.outOfOrderAcks > 0, 'acks came back out of order');
    assert.ok(report.ackedByAction['PASS'] && report.ackedByAction['DENY'], 'allowed and denied flows');
  });

  it('keeps at most max_in_flight batches unacked and obeys max_batch_records', async () => {
    fake.reset({ maxInFlight: 3, maxBatchRecords: 100, ackDelayMs: () => 5 });
    const report = await simulate({ target, vrouters: 1, flows: 3000, batchSize: 500 });
    assert.equal(report.acked, 3000);
    assert.equal(fake.maxOutstanding, 3);
    assert.equal(fake.largestBatch, 100);
  });

  it('resends unacked batches after a dropped stream; the collector stores them once', async () => {
    fake.reset({ maxInFlight: 4, ackDelayMs: () => 3 });
    const report = await simulate({
      target,
      vrouters: 2,
      flows: 6000,
      batchSize: 200,
      dropConnectionEvery: 3,
    });
    assertMatchesCollector(report, 6000);
    assert.ok(report.resent > 0, 'batches were resent');
    assert.ok(report.duplicates > 0, 'some resends had been stored already');
    assert.equal(report.duplicates, fake.duplicateAcks * 200);
    assert.ok(fake.hellos.length > 2, 'sessions reconnected');
    assert.equal(fake.repeatsOnOneStream, 0, 'a batch is resent only on a new stream');
  });

  it('resends a batch acked UNAVAILABLE', async () => {
    fake.reset({ unavailableOnce: (seq) => seq % 4 === 0 });
    const report = await simulate({ target, vrouters: 2, flows: 4000, batchSize: 100 });
    assertMatchesCollector(report, 4000);
    assert.ok(report.resent > 0);
  });

  it('counts rejected records out, and sends replacements to reach --flows', async () => {
    fake.reset();
    const report = await simulate({ target, vrouters: 2, flows: 3000, batchSize: 250, invalidEvery: 7 });
    assertMatchesCollector(report, 3000);
    assert.ok(report.rejected > 0);
    assert.equal(report.sent, 3000 + report.rejected);
  });

  it('honours a rate cap over a duration', async () => {
    fake.reset();
    const progress: SimulationReport[] = [];
    const report = await simulate({
      target,
      vrouters: 2,
      durationMs: 600,
      rate: 20_000,
      batchSize: 200,
      onProgress: (r) => progress.push(r),
      progressIntervalMs: 100,
    });
    assert.ok(report.acked > 0);
    assert.ok(report.acked <= 20_000 * 0.6 + 2000 + 400, `acked ${report.acked}`);
    assert.equal(fake.records, report.acked);
    assert.ok(progress.length >= 3);
  });

  it('stops on abort and fails on a refused token', async () => {
    fake.reset();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const report = await simulate({ target, vrouters: 1, signal: controller.signal });
    assert.ok(report.sent > 0 && report.elapsedMs < 2000);
    fake.reset({ token: 'secret' });
    await assert.rejects(simulate({ target, vrouters: 1, flows: 10, token: 'wrong' }), /bad token/);
  });
});

describe('simulator progress lines', () => {
  const report: SimulationReport = {
    sent: 1_234_567,
    acked: 1_230_000,
    rejected: 3,
    duplicates: 200,
    resent: 400,
    elapsedMs: 4100,
    ackedPerSecond: 300_000,
    ackedTotals: { records: 1_230_000, bytes: 9e9, packets: 8e6 },
    ackedByVrouter: {},
    ackedByAction: { PASS: { records: 1_200_000, bytes: 8e9, packets: 7e6 } },
  };

  it('formats progress and summary', () => {
    assert.equal(
      formatProgress(report),
      'sent 1,234,567  acked 1,230,000  rejected 3  duplicates 200  resent 400  rate 300,000 rec/s  elapsed 4.1s',
    );
    assert.match(formatSummary(report), /PASS {2}1,200,000 records/);
    const lines: string[] = [];
    progressPrinter({ write: (s: string) => lines.push(s) })(report);
    assert.equal(lines[0], `${formatProgress(report)}\n`);
  });
});
