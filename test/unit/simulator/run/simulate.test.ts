import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  AckStatus,
  Collector,
  encode,
  methodPath,
  PublishRequestSchema,
  PublishResponseSchema,
  RouteOp,
  type AckSchema,
  type Batch,
  type RejectionSchema,
  type FlowRecord,
  type InterfaceStats,
  type RouteEvent,
  type UveUpdate,
} from '../../../../common/proto.js';
import type { SimulationReport } from '../../../../simulator/run/report.js';
import { simulate } from '../../../../simulator/run/simulate.js';
import { buildFabricState } from '../../../../simulator/fabric/state/fabric-state.js';
import { buildTopology } from '../../../../simulator/fabric/topology/build.js';
import { freePort } from '../../../../harness/kafka.js';

/**
 * A fake collector on a real @grpc/grpc-js server: stores a batch when it arrives (so an ack lost
 * with a dropped stream makes the resend a DUPLICATE), acks after a configurable delay (so acks
 * come back out of order), and records what the sender did with its window.
 */
interface FakeOptions {
  maxInFlight: number;
  maxBatchRecords: number;
  ackDelayMs: (seq: number) => number;
  /**
   * Hold an odd seq's ack until the next batch of its stream is acked (or 1 s passes, for a stream's
   * last batch): acks come back out of order whatever the machine's speed.
   */
  holdOddAcks: boolean;
  unavailableOnce: (seq: number) => boolean;
  token: string;
  /** Payload kinds acked INVALID, as a collector that does not take them yet. */
  refuse: ReadonlySet<string>;
}

type AckInit = MessageInitShape<typeof AckSchema>;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A stored state record, with the generator that sent it and when (in the fake's event order). */
interface Stored<T> {
  generator: string;
  tick: number;
  record: T;
}

const defaults: FakeOptions = {
  maxInFlight: 4,
  maxBatchRecords: 1000,
  ackDelayMs: () => 0,
  holdOddAcks: false,
  unavailableOnce: () => false,
  token: '',
  refuse: new Set(),
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
  readonly uves: Stored<UveUpdate>[] = [];
  readonly routes: Stored<RouteEvent>[] = [];
  readonly ifstats: Stored<InterfaceStats>[] = [];
  /** Order of events: every batch arrival and ack takes the next tick. */
  tick = 0;
  firstFlowTick = Infinity;
  lastStateAckTick = 0;
  /** Per generator: when (ms) each Hello came and its stream last carried a batch. */
  readonly helloTimes = new Map<string, number[]>();
  readonly lastBatchAt = new Map<string, number>();
  private readonly refused = new Set<string>();
  private server = new grpc.Server();
  options: FakeOptions = defaults;

  async start(): Promise<string> {
    this.server.addService(
      {
        Publish: {
          path: methodPath(Collector.method.publish),
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
    for (const list of [this.uves, this.routes, this.ifstats]) list.length = 0;
    Object.assign(this, { tick: 0, firstFlowTick: Infinity, lastStateAckTick: 0 });
    this.helloTimes.clear();
    this.lastBatchAt.clear();
  }

  stop(): void {
    this.server.forceShutdown();
  }

  private publish(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    let generator = '';
    let outstanding = 0;
    let ended = false;
    const seqs = new Set<bigint>();
    let lastAcked = 0n;
    let held: (() => void) | undefined;
    const send = (message: MessageInitShape<typeof PublishResponseSchema>['message']): void => {
      if (!call.cancelled && !call.destroyed) call.write(encode(PublishResponseSchema, { message }));
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
      const { message } = fromBinary(PublishRequestSchema, buf);
      if (message.case === 'hello') {
        const hello = message.value;
        if (hello.token !== this.options.token) {
          call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'bad token' });
          return;
        }
        generator = `${hello.generator}|${hello.epoch}`;
        this.hellos.push(hello.generator);
        const times = this.helloTimes.get(hello.generator) ?? [];
        this.helloTimes.set(hello.generator, [...times, performance.now()]);
        send({
          case: 'welcome',
          value: {
            sessionId: 's',
            maxBatchRecords: this.options.maxBatchRecords,
            maxInFlight: this.options.maxInFlight,
          },
        });
        return;
      }
      if (message.case !== 'batch') return;
      const batch = message.value;
      const seq = batch.seq;
      const source = generator.split('|')[0] ?? '';
      this.lastBatchAt.set(source, performance.now());
      const isFlows = batch.payload.case === 'flows';
      if (isFlows) this.firstFlowTick = Math.min(this.firstFlowTick, ++this.tick);
      if (seqs.has(seq) && !this.options.unavailableOnce(Number(seq))) this.repeatsOnOneStream++;
      seqs.add(seq);
      outstanding++;
      this.maxOutstanding = Math.max(this.maxOutstanding, outstanding);
      const ack =
        batch.payload.case === 'flows'
          ? this.store(`${generator}|${seq}`, seq, batch.payload.value.records)
          : this.storeState(`${generator}|${seq}`, seq, source, batch);
      let acked = false;
      const release = (): void => {
        if (acked) return;
        acked = true;
        if (!isFlows) this.lastStateAckTick = ++this.tick;
        outstanding--;
        if (seq < lastAcked) this.outOfOrderAcks++;
        lastAcked = seq;
        send({ case: 'ack', value: ack });
        maybeEnd();
      };
      if (this.options.holdOddAcks && seq % 2n === 1n) {
        held = release;
        setTimeout(release, 1000);
        return;
      }
      setTimeout(
        () => {
          release();
          held?.();
          held = undefined;
        },
        this.options.ackDelayMs(Number(seq)),
      );
    });
  }

  /** UVEs, routes and interface stats: kept as they came, each batch once. */
  private storeState(key: string, seq: bigint, source: string, batch: Batch): AckInit {
    const { payload } = batch;
    const kind = payload.case ?? 'none';
    if (this.options.refuse.has(kind))
      return { seq, status: AckStatus.INVALID, message: `${kind} not taken` };
    if (this.stored.has(key)) return { seq, status: AckStatus.DUPLICATE, accepted: 0 };
    this.stored.add(key);
    const tick = this.tick;
    const keep = <T>(into: Stored<T>[], records: T[]): number => {
      for (const record of records) into.push({ generator: source, tick, record });
      return records.length;
    };
    const accepted =
      payload.case === 'uves'
        ? keep(this.uves, payload.value.records)
        : payload.case === 'routes'
          ? keep(this.routes, payload.value.records)
          : payload.case === 'interfaceStats'
            ? keep(this.ifstats, payload.value.records)
            : 0;
    return { seq, status: AckStatus.OK, accepted };
  }

  /** Durable at once: the ack may still be lost with the stream, which is what resend must survive. */
  private store(key: string, seq: bigint, records: FlowRecord[]): AckInit {
    this.largestBatch = Math.max(this.largestBatch, records.length);
    if (this.stored.has(key)) {
      this.duplicateAcks++;
      return { seq, status: AckStatus.DUPLICATE, accepted: 0 };
    }
    if (this.options.unavailableOnce(Number(seq)) && !this.refused.has(key)) {
      this.refused.add(key);
      return { seq, status: AckStatus.UNAVAILABLE };
    }
    this.stored.add(key);
    const rejections: MessageInitShape<typeof RejectionSchema>[] = [];
    records.forEach((r, index) => {
      if (r.flowUuid.length !== 16)
        return void rejections.push({ index, field: 'flow_uuid', reason: 'bad length' });
      const scale = Math.max(r.sampling, 1);
      this.records++;
      this.bytes += Number(r.diffBytes) * scale;
      this.packets += Number(r.diffPackets) * scale;
      this.identities.add(`${hex(r.flowUuid)}@${r.timestamp}`);
    });
    return { seq, status: AckStatus.OK, accepted: records.length - rejections.length, rejections };
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
    fake.reset({ maxInFlight: 4, holdOddAcks: true });
    const report = await simulate({ target, vrouters: 3, flows: 10_000, batchSize: 333, seed: 3 });
    assertMatchesCollector(report, 10_000);
    assert.equal(report.sent, 10_000);
    assert.equal(report.resent, 0);
    assert.deepEqual(
      new Set(fake.hellos),
      new Set([
        ...[0, 1, 2].map((i) => `compute-${i}:Compute:contrail-vrouter-agent:0`),
        'control-1:Control:contrail-control:0',
        'control-2:Control:contrail-control:0',
        'config-1:Config:contrail-api:0',
      ]),
    );
    assert.ok(fake.outOfOrderAcks > 0, 'acks came back out of order');
    assert.ok(report.ackedByAction['PASS'] && report.ackedByAction['DENY'], 'allowed and denied flows');
    // The budget is split between the vRouters (10,000 / 3): each exports its whole flow mix.
    assert.deepEqual(
      Object.values(report.ackedByVrouter).map((t) => t.records),
      [3334, 3333, 3333],
    );
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
    // Each vRouter replaces its own rejected records: its share is still acked in full.
    assert.deepEqual(
      Object.values(report.ackedByVrouter).map((t) => t.records),
      [1500, 1500],
    );
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

describe('simulator fabric state against a fake collector', () => {
  const withoutTime = (u: UveUpdate): object => ({
    type: u.type,
    name: u.name,
    structType: u.structType,
    attributes: JSON.parse(u.attributesJson) as unknown,
  });
  const uvesOf = (generator: string, struct: string): Stored<UveUpdate>[] =>
    fake.uves.filter((u) => u.generator === generator && u.record.structType === struct);
  const attrs = (u: Stored<UveUpdate>): Record<string, unknown> =>
    JSON.parse(u.record.attributesJson) as Record<string, unknown>;

  it('publishes every generator UVEs and routes before any flow, counted per kind', async () => {
    fake.reset({ ackDelayMs: (seq) => (seq === 1 ? 20 : 0) });
    const report = await simulate({ target, vrouters: 3, flows: 2000, batchSize: 500, seed: 5 });
    // One clock reading stamps the whole initial state (and goes into the peers' last_state_at).
    const stampedAt = fake.uves[0]?.record.timestamp ?? 0n;
    assert.ok(fake.uves.every((u) => u.record.timestamp === stampedAt));
    const expected = buildFabricState(buildTopology({ vrouters: 3, seed: 5 }), Number(stampedAt));
    const uves = expected.flatMap((g) =>
      g.uves.map((u) => ({ generator: g.generator, uve: withoutTime(u) })),
    );
    const routes = expected.flatMap((g) =>
      g.routes.map((r) => ({ generator: g.generator, prefix: r.prefix })),
    );
    assert.deepEqual(
      fake.uves.map((u) => ({ generator: u.generator, uve: withoutTime(u.record) })).sort(byJson),
      uves.sort(byJson),
    );
    assert.deepEqual(
      fake.routes.map((r) => ({ generator: r.generator, prefix: r.record.prefix })).sort(byJson),
      routes.sort(byJson),
    );
    assert.deepEqual(report.sentByKind, { uves: uves.length, routes: routes.length, interface_stats: 0 });
    assert.deepEqual(report.ackedByKind, report.sentByKind);
    assert.ok(fake.lastStateAckTick < fake.firstFlowTick, 'flows waited for the state to be acked');
    assertMatchesCollector(report, 2000);
  });

  it('resyncs what each generator holds after every reconnect, as TF generators do', async () => {
    fake.reset();
    const report = await simulate({
      target,
      vrouters: 2,
      flows: 4000,
      batchSize: 250,
      seed: 5,
      dropConnectionEvery: 3,
    });
    assertMatchesCollector(report, 4000);
    const held = buildFabricState(buildTopology({ vrouters: 2, seed: 5 }), 0);
    let resynced = 0;
    for (const g of held) {
      const hellos = fake.helloTimes.get(g.generator)?.length ?? 0;
      const stored = fake.uves.filter((u) => u.generator === g.generator).length;
      // Each stream welcomed after the first resends the whole held state (a close may beat the last welcome).
      assert.ok(stored >= g.uves.length && stored <= hellos * g.uves.length, `${g.generator}: ${stored}`);
      if (hellos > 1 && stored > g.uves.length) resynced++;
    }
    assert.ok(resynced > 0, 'some generator reconnected and resent its state');
  });

  it('counts state batches refused INVALID out, and still streams the flows', async () => {
    fake.reset({ refuse: new Set(['uves', 'routes']) });
    const report = await simulate({ target, vrouters: 2, flows: 1000, batchSize: 250 });
    assert.ok(report.sentByKind.uves > 0 && report.sentByKind.routes > 0);
    assert.deepEqual(report.ackedByKind, { uves: 0, routes: 0, interface_stats: 0 });
    assertMatchesCollector(report, 1000);
  });

  it('publishes nothing but flows with state: false', async () => {
    fake.reset();
    const report = await simulate({ target, vrouters: 2, flows: 1000, state: false });
    assert.equal(fake.uves.length + fake.routes.length, 0);
    assert.equal(new Set(fake.hellos).size, 2);
    assertMatchesCollector(report, 1000);
  });

  it('samples interface stats and plays the events, then ends with flows: 0', async () => {
    fake.reset();
    const vrouter = (i: number): string => `compute-${i}:Compute:contrail-vrouter-agent:0`;
    const report = await simulate({
      target,
      vrouters: 3,
      flows: 0,
      seed: 9,
      interfaceStatsSamples: 6,
      interfaceStatsIntervalMs: 100,
      events: [
        { kind: 'process-down', atMs: 0, durationMs: 100 },
        { kind: 'bgp-flap', atMs: 0, durationMs: 100 },
        { kind: 'vrouter-disconnect', atMs: 0, durationMs: 300 },
        { kind: 'vrouter-restart', atMs: 150, durationMs: 100 },
      ],
    });
    const topo = buildTopology({ vrouters: 3, seed: 9 });
    assert.equal(report.acked, 0);
    assert.equal(report.interfaceStatsSamples, 6);
    assert.equal(report.ackedByKind.interface_stats, 6 * topo.workloads.length);
    assert.deepEqual(
      report.events.map((e) => [e.kind, e.target, e.completed]),
      [
        ['process-down', 'compute-0', true],
        ['bgp-flap', 'control-1', true],
        ['vrouter-disconnect', 'compute-2', true],
        ['vrouter-restart', 'compute-1', true],
      ],
    );

    // process-down: compute-0's NodeStatus went Non-Functional and came back.
    const states = uvesOf(vrouter(0), 'NodeStatus').map(
      (u) => (attrs(u)['process_status'] as { state: string }[])[0]?.state,
    );
    assert.deepEqual(states, ['Functional', 'Non-Functional', 'Functional']);

    // bgp-flap: the peering went Idle, Active, Established, and the default routes went and came back.
    const peer = uvesOf('control-1:Control:contrail-control:0', 'BgpPeerInfoData').map((u) => {
      const a = attrs(u) as { state_info: { state: string }; flap_info: { flap_count: number } };
      return [a.state_info.state, a.flap_info.flap_count];
    });
    assert.deepEqual(peer, [
      ['Established', 0],
      ['Idle', 1],
      ['Active', 1],
      ['Established', 1],
    ]);
    const defaults = fake.routes
      .filter(
        (r) => r.generator === 'control-1:Control:contrail-control:0' && r.record.prefix === '0.0.0.0/0',
      )
      .map((r) => r.record.op);
    const vrfs = topo.virtualNetworks.filter((vn) => vn.subnets.some((s) => s.includes('.'))).length;
    assert.deepEqual(defaults, [
      ...Array<RouteOp>(vrfs).fill(RouteOp.ADD),
      ...Array<RouteOp>(vrfs).fill(RouteOp.DELETE),
      ...Array<RouteOp>(vrfs).fill(RouteOp.ADD),
    ]);

    // The control nodes counted the XMPP peers up as compute-2 (0–300 ms) and compute-1 (150–250 ms)
    // went away and came back, across the BGP flap.
    for (const control of ['control-1', 'control-2']) {
      const up = uvesOf(`${control}:Control:contrail-control:0`, 'BgpRouterState').map(
        (u) => attrs(u)['num_up_xmpp_peer'],
      );
      assert.deepEqual(up, control === 'control-1' ? [3, 3, 2, 2, 1, 2, 3] : [3, 2, 1, 2, 3], control);
    }

    // vrouter-disconnect: compute-2 stayed away, came back, and sent its UVEs again.
    const hellos = fake.helloTimes.get(vrouter(2)) ?? [];
    assert.equal(hellos.length, 2);
    const hosted = topo.workloads.filter((w) => w.vrouter === 'compute-2').length;
    assert.equal(uvesOf(vrouter(2), 'UveVMInterfaceAgent').length, 2 * hosted);
    assert.ok((hellos[1] ?? 0) - (hellos[0] ?? 0) >= 290, 'reconnected only after the outage');

    // vrouter-restart: compute-1's counters fell back once; nobody else's did.
    const resets = new Map<string, number>();
    const byVmi = new Map<string, InterfaceStats[]>();
    for (const { record } of fake.ifstats) {
      const key = hex(record.vmiUuid);
      byVmi.set(key, [...(byVmi.get(key) ?? []), record]);
    }
    for (const samples of byVmi.values()) {
      samples.sort((a, b) => Number(a.timestamp - b.timestamp));
      assert.equal(samples.length, 6);
      const falls = samples.filter((s, i) => i > 0 && s.inBytes < (samples[i - 1]?.inBytes ?? 0n)).length;
      const vr = samples[0]?.vrouter ?? '';
      resets.set(vr, Math.max(resets.get(vr) ?? 0, falls));
    }
    assert.deepEqual(Object.fromEntries(resets), { 'compute-0': 0, 'compute-1': 1, 'compute-2': 0 });
  });
});

const byJson = (a: object, b: object): number => {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

describe('simulator run length and reach', () => {
  it('lasts its duration with flows: 0, the fabric connected after its events are through', async () => {
    fake.reset();
    const report = await simulate({
      target,
      vrouters: 1,
      flows: 0,
      durationMs: 1500,
      interfaceStatsIntervalMs: 100,
      events: [{ kind: 'process-down', atMs: 0, durationMs: 100 }],
    });
    // Without the duration the run ended once its one event was through, about 100 ms in.
    assert.ok(report.events.every((e) => e.completed));
    assert.ok(report.elapsedMs >= 1400, `ended after ${report.elapsedMs} ms`);
  });

  it('fails naming the target when no collector answers there', async () => {
    const port = await freePort(); // free: nothing listens there
    await assert.rejects(
      simulate({ target: `127.0.0.1:${port}`, vrouters: 1, flows: 10, connectTimeoutMs: 500 }),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`^no collector answered at 127\\.0\\.0\\.1:${port} within 0\\.5 s: .+`),
        );
        return true;
      },
    );
  });
});
