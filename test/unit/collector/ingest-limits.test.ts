import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescMessage } from '@bufbuild/protobuf';
import { collectorOptions } from '../../../collector/config.js';
import { Ingest } from '../../../collector/ingest.js';
import { checkGeneratorId } from '../../../collector/sessions.js';
import { checkFlowRecord } from '../../../collector/validation/flow.js';
import { checkInterfaceStatsRecord } from '../../../collector/validation/interface-stats.js';
import { jsonDepth, type RecordCheck } from '../../../collector/validation/record.js';
import { checkRouteRecord } from '../../../collector/validation/route.js';
import { uveCheck } from '../../../collector/validation/uve.js';
import type { Bus, BusMessage } from '../../../common/bus/bus.js';
import { registry } from '../../../common/metrics.js';
import {
  AckStatus,
  encodeFields,
  FlowRecordSchema,
  InterfaceStatsSchema,
  NextHopSchema,
  protoField,
  RouteEventSchema,
  UveUpdateSchema,
} from '../../../common/proto.js';
import { catalogs } from '../../../common/schema/catalog/index.js';
import { recordRetentionDays } from '../../../common/schema/catalog/retention.js';
import { frameRecords } from '../../../common/wire/frames.js';
import { WireError, WireReader } from '../../../common/wire/reader.js';
import { varint, rawVarint, rawLen } from '../../support/raw-protobuf.js';

const nowUs = Date.UTC(2026, 10, 23) * 1000;
const DAY_US = 86_400e6;

const numberOf = (message: string, name: string): number => protoField(message, name)!.number;

const goodFlow = {
  flow_uuid: Buffer.alloc(16, 7),
  vrouter: 'compute-1',
  source_ip: Buffer.from([10, 0, 0, 3]),
  dest_ip: Buffer.from([10, 0, 0, 4]),
  protocol: 6,
  action: 1,
  timestamp: nowUs,
  diff_bytes: 400,
};
const goodUve = {
  type: 'virtual-network',
  name: 'default-domain:admin:vn1',
  struct_type: 'UveVirtualNetworkAgent',
  attributes_json: '{"in_bytes": 5}',
  timestamp: nowUs,
};
const goodRoute = {
  routing_instance: 'default-domain:admin:vn1:vn1',
  family: 'inet',
  prefix: '10.1.0.0/24',
  op: 1,
  next_hops: [{ tunnel_type: 'MPLSoUDP', destination: Buffer.from([192, 168, 0, 2]), label: 17 }],
  protocol: 'xmpp',
  timestamp: nowUs,
};
const goodStats = { vmi_uuid: Buffer.alloc(16, 3), vrouter: 'compute-1', in_bytes: 10, timestamp: nowUs };

/** Encodes base ⊕ overrides (plus raw bytes) and checks it as the collector does. */
function checker(schema: DescMessage, check: RecordCheck, base: object) {
  return (overrides: object = {}, raw: Buffer = Buffer.alloc(0), skewUs?: number) => {
    const buf = Buffer.concat([encodeFields(schema, { ...base, ...overrides }), raw]);
    return check(buf, 0, buf.length, nowUs, skewUs);
  };
}
const flow = checker(FlowRecordSchema, checkFlowRecord, goodFlow);
const uve = checker(UveUpdateSchema, uveCheck(65536), goodUve);
const route = checker(RouteEventSchema, checkRouteRecord, goodRoute);
const stats = checker(InterfaceStatsSchema, checkInterfaceStatsRecord, goodStats);

describe('(a) record times the warehouse keeps', () => {
  it('derives the retention from the TTL of the tables partitioned by the record time', () => {
    const byTable = Object.fromEntries(catalogs.map((c) => [c.table.name, recordRetentionDays(c)]));
    assert.deepEqual(byTable, {
      flows: 7,
      if_stats: 7,
      uve_updates: undefined, // kept by when it was received
      routes: undefined,
      generator_events: undefined,
    });
  });

  for (const days of [8, 30, 150]) {
    it(`refuses flows and interface samples ${days} days old`, () => {
      const timestamp = nowUs - days * DAY_US;
      assert.deepEqual(flow({ timestamp, setup_time: timestamp }), {
        field: 'timestamp',
        reason: 'older than the 7-day retention',
      });
      assert.equal(stats({ timestamp })?.field, 'timestamp');
      assert.match(stats({ timestamp })?.reason ?? '', /7-day retention/);
    });
  }

  it('keeps what is within the retention, and old UVEs and routes (not partitioned by it)', () => {
    const timestamp = nowUs - 6 * DAY_US;
    assert.equal(flow({ timestamp }), undefined);
    assert.equal(stats({ timestamp }), undefined);
    assert.equal(uve({ timestamp: nowUs - 150 * DAY_US }), undefined);
    assert.equal(route({ timestamp: nowUs - 150 * DAY_US }), undefined);
  });

  it('bounds the future by the configured skew (--max-clock-skew, default 1 h)', () => {
    assert.equal(collectorOptions.maxClockSkew.default, '1h');
    assert.equal(collectorOptions.maxClockSkew.schema.parse('1h'), 3600e3);
    const timestamp = nowUs + 120e6;
    assert.equal(flow({ timestamp }), undefined);
    assert.match(flow({ timestamp }, undefined, 60e6)?.reason ?? '', /more than 60 s in the future/);
    assert.match(stats({ timestamp }, undefined, 60e6)?.reason ?? '', /future/);
    assert.match(uve({ timestamp }, undefined, 60e6)?.reason ?? '', /future/);
    assert.match(route({ timestamp }, undefined, 60e6)?.reason ?? '', /future/);
    assert.match(flow({ timestamp: nowUs + 2 * 3600e6 })?.reason ?? '', /more than 1 h in the future/);
  });
});

describe('(b) protobuf the warehouse can read', () => {
  const tenBytes = (last: number) => new WireReader(Buffer.from([...Array<number>(9).fill(0xff), last]));

  it('reads a 64-bit varint and refuses one wider', () => {
    assert.equal(tenBytes(1).varint(), 2 ** 64 - 1);
    assert.throws(() => tenBytes(2).varint(), WireError);
    assert.throws(() => tenBytes(0x81).varint(), /64 bits/);
  });

  it('refuses field numbers 0 and above 2^29-1', () => {
    assert.equal(new WireReader(varint(((1n << 29n) - 1n) << 3n)).tag() >>> 0, 0xfffffff8);
    assert.throws(() => new WireReader(varint(1n << 32n)).tag(), /field number 536870912 out of range/);
    assert.throws(() => new WireReader(Buffer.from([0x02])).tag(), /field number 0/);
  });

  it('rejects a flow counter above 2^64 and a field number above 2^29 as malformed', () => {
    const bytes = numberOf('FlowRecord', 'bytes');
    assert.equal(flow({}, rawVarint(bytes, (1n << 64n) - 1n)), undefined);
    assert.deepEqual(flow({}, rawVarint(bytes, 1n << 64n)), {
      field: 'record',
      reason: 'malformed protobuf: varint overflows 64 bits',
    });
    assert.match(flow({}, rawVarint(2 ** 29, 1n))?.reason ?? '', /malformed protobuf: field number/);
    assert.match(flow({}, rawVarint(0, 1n))?.reason ?? '', /malformed protobuf: field number 0/);
  });

  it('rejects the same in the decoded kinds', () => {
    const inBytes = numberOf('InterfaceStats', 'in_bytes');
    assert.match(stats({ in_bytes: 0 }, rawVarint(inBytes, 1n << 70n))?.reason ?? '', /malformed protobuf/);
    assert.match(route({}, rawVarint(2 ** 29, 1n))?.reason ?? '', /malformed protobuf/);
    assert.match(uve({}, rawVarint(2 ** 30, 1n))?.reason ?? '', /malformed protobuf/);
  });
});

describe('(c) integers within their column', () => {
  it('rejects a UVE deleted flag other than 0 or 1', () => {
    const deleted = numberOf('UveUpdate', 'deleted');
    assert.equal(uve({}, rawVarint(deleted, 1n)), undefined);
    assert.deepEqual(uve({}, rawVarint(deleted, 2n)), { field: 'deleted', reason: '2 is above 1' });
  });

  it('rejects a route local_pref and an interface active_flows above 2^32-1', () => {
    const localPref = numberOf('RouteEvent', 'local_pref');
    assert.equal(route({}, rawVarint(localPref, 0xffffffffn)), undefined);
    assert.deepEqual(route({}, rawVarint(localPref, 1n << 40n)), {
      field: 'local_pref',
      reason: `${2 ** 40} is above 4294967295`,
    });
    const activeFlows = numberOf('InterfaceStats', 'active_flows');
    assert.equal(stats({}, rawVarint(activeFlows, 0xffffffffn)), undefined);
    assert.equal(stats({}, rawVarint(activeFlows, 1n << 40n))?.field, 'active_flows');
    assert.equal(route({ op: 0 }, rawVarint(numberOf('RouteEvent', 'op'), 1n << 40n))?.field, 'op');
  });

  it('rejects integers of nested messages above their read width (next hop label, aggregation)', () => {
    const hop = (label: bigint) =>
      rawLen(
        numberOf('RouteEvent', 'next_hops'),
        Buffer.concat([encodeFields(NextHopSchema, { tunnel_type: 'VXLAN' }), rawVarint(3, label)]),
      );
    assert.equal(route({ next_hops: [] }, hop(0xffffffffn)), undefined);
    assert.deepEqual(route({ next_hops: [] }, hop(1n << 40n)), {
      field: 'next_hops.label',
      reason: `${2 ** 40} is above 4294967295`,
    });
    const entry = (agg: bigint) =>
      rawLen(
        numberOf('UveUpdate', 'aggregation'),
        Buffer.concat([
          encodeFields(UveUpdateSchema, {}),
          rawLen(1, Buffer.from('in_bytes')),
          rawLen(2, rawVarint(1, agg)),
        ]),
      );
    assert.equal(uve({}, entry(1n)), undefined);
    assert.equal(uve({}, entry(1n << 40n))?.field, 'aggregation.value.agg');
  });

  it('rejects a singular field given twice (the warehouse reader refuses it)', () => {
    const med = numberOf('RouteEvent', 'med');
    assert.match(
      route({}, Buffer.concat([rawVarint(med, 1n), rawVarint(med, 2n)]))?.reason ?? '',
      /more than once/,
    );
  });
});

describe('(d) bounded lengths', () => {
  it('refuses a generator id over 255 bytes, naming the limit', () => {
    const id = (n: number) => `${'h'.repeat(n - 'h:Compute:agent:0'.length + 1)}:Compute:agent:0`;
    assert.equal(Buffer.byteLength(id(255)), 255);
    assert.equal(checkGeneratorId(id(255)), undefined);
    assert.match(checkGeneratorId(id(256)) ?? '', /256 bytes; at most 255/);
  });

  it('bounds the route as_path to 4 KiB and the communities list', () => {
    assert.equal(route({ as_path: '6'.repeat(4096) }), undefined);
    assert.deepEqual(route({ as_path: '6'.repeat(10 << 20) }), {
      field: 'as_path',
      reason: 'longer than 4096 bytes',
    });
    assert.equal(route({ communities: Array(256).fill('65000:1') }), undefined);
    assert.deepEqual(route({ communities: Array(257).fill('65000:1') }), {
      field: 'communities',
      reason: 'more than 256 elements',
    });
    assert.equal(route({ communities: ['x'.repeat(513)] })?.field, 'communities');
    assert.equal(route({ next_hops: [{ interface: 'i'.repeat(513) }] })?.field, 'next_hops.interface');
    assert.equal(route({ next_hops: Array(257).fill(goodRoute.next_hops[0]) })?.field, 'next_hops');
  });

  it('bounds the other texts of every kind', () => {
    assert.equal(route({ origin_vn: 'v'.repeat(513) })?.field, 'origin_vn');
    assert.equal(stats({ vm_name: 'v'.repeat(513) })?.field, 'vm_name');
    assert.equal(uve({ aggregation: { ['a'.repeat(513)]: { agg: 1 } } })?.field, 'aggregation.key');
    assert.equal(stats({ drops: { ['d'.repeat(513)]: 1 } })?.field, 'drops.key');
  });

  it('refuses UVE attributes nested deeper than 32', () => {
    const nested = (depth: number) => `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    assert.equal(jsonDepth(nested(32)), 32);
    assert.equal(jsonDepth('{"[[[": "]"}'), 1);
    assert.equal(uve({ attributes_json: nested(32) }), undefined);
    assert.deepEqual(uve({ attributes_json: nested(33) }), {
      field: 'attributes_json',
      reason: 'nested 33 deep; at most 32',
    });
    const deep = nested(30_000);
    assert.ok(deep.length < 65536);
    assert.equal(uve({ attributes_json: deep })?.field, 'attributes_json');
  });
});

describe('(e) the record count is checked before the records', () => {
  const bus = { publish: async (_k: string, _m: BusMessage[]) => undefined } as unknown as Bus;

  function ingestCounting(maxBatchRecords: number): { ingest: Ingest; checked: () => number } {
    const ingest = new Ingest(bus, { maxBatchRecords, maxUveBytes: 65536 });
    let calls = 0;
    const checks = Reflect.get(ingest, 'checks') as Record<string, RecordCheck>;
    const real = checks.flows!;
    checks.flows = (...args) => (calls++, real(...args));
    return { ingest, checked: () => calls };
  }

  const batch = (n: number): Buffer => {
    const record = encodeFields(FlowRecordSchema, { ...goodFlow, timestamp: Date.now() * 1000 });
    return frameRecords(
      Buffer.concat(Array(n).fill(record)),
      Array.from({ length: n }, (_, i) => [i * record.length, (i + 1) * record.length]),
    );
  };
  const id = { generator: 'h:Compute:agent:0', epoch: 1, seq: 1 };

  it('refuses an oversized batch INVALID without validating any record', async () => {
    const { ingest, checked } = ingestCounting(4);
    const buf = batch(5);
    const ack = await ingest.accept(id, buf, { kind: 'flows', start: 0, end: buf.length });
    assert.equal(ack.status, AckStatus.INVALID);
    assert.match(ack.message, /5 records; a batch holds at most 4/);
    assert.equal(checked(), 0);
  });

  it('validates a batch at the limit', async () => {
    const { ingest, checked } = ingestCounting(4);
    const buf = batch(4);
    const ack = await ingest.accept(id, buf, { kind: 'flows', start: 0, end: buf.length });
    assert.equal(ack.status, AckStatus.OK);
    assert.equal(ack.accepted, 4);
    assert.equal(checked(), 4);
  });
});

describe('(f) what a sender waits for', () => {
  it('times each batch from received to its ack, the bus publish included', async () => {
    const slowBus = {
      publish: () => new Promise<void>((resolve) => setTimeout(resolve, 30)),
    } as unknown as Bus;
    const ingest = new Ingest(slowBus, { maxBatchRecords: 10, maxUveBytes: 65536 });
    const timed = async () => {
      const { values } = await registry
        .getSingleMetric('fabricscope_collector_batch_duration_seconds')!
        .get();
      const value = (name: string) =>
        values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
      return {
        count: value('fabricscope_collector_batch_duration_seconds_count'),
        sum: value('fabricscope_collector_batch_duration_seconds_sum'),
      };
    };
    const before = await timed();
    const record = encodeFields(FlowRecordSchema, { ...goodFlow, timestamp: Date.now() * 1000 });
    const buf = frameRecords(record, [[0, record.length]]);
    const ack = await ingest.accept({ generator: 'h:Compute:agent:0', epoch: 1, seq: 2 }, buf, {
      kind: 'flows',
      start: 0,
      end: buf.length,
    });
    assert.equal(ack.status, AckStatus.OK);
    const after = await timed();
    assert.equal(after.count - before.count, 1);
    assert.ok(after.sum - before.sum >= 0.025, `timed ${after.sum - before.sum} s`);
  });
});
