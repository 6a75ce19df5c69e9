import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { migrate } from '../../../common/schema/migrate.js';
import { migrations } from '../../../common/schema/migrations.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import {
  interfaceSeriesQuery,
  interfaceTotalsQuery,
  type InterfaceTable,
} from '../../../common/sql/interfaces.js';
import { busMessage } from '../../../harness/bus-records.js';

/**
 * A rollup answers what the raw samples answer over the same buckets. Samples every 10 s, in
 * batches of 25 that cut across minutes (so a bucket's samples reach its rollups in several
 * inserts), of interfaces that start and stop mid-range and whose counters reset inside a bucket.
 * Known limit: a level keeps a bucket's first, peak and last samples, so a reset inside a bucket is
 * seen whole only while the counters after it stay below their value before it until the bucket
 * ends (a restart of an interface up for longer than the bucket, as here); else the part of the
 * bucket before the reset is not counted. So is that of a drop reason restarting alone.
 * The range is [T0, T0 + 3 h), T0 an hour boundary five hours ago: whole buckets of every level.
 */
const T0 = Math.floor(Date.now() / 3600e3) * 3600 - 5 * 3600;
const generator = 'compute-1:Compute:contrail-vrouter-agent:0';

interface Interface {
  uuid: string;
  /** Seconds from T0 of the first sample (negative: before the range). */
  start: number;
  seconds: number;
  /** The counters `s` seconds after the first sample. */
  counters: (s: number) => { in_bytes: number; out_bytes: number; drops: Record<string, number> };
}

const steady = (inB: number, outB: number, drops: Record<string, number>) => (s: number) => ({
  in_bytes: inB * s,
  out_bytes: outB * s,
  drops: Object.fromEntries(Object.entries(drops).map(([r, perSec]) => [r, perSec * s])),
});

/**
 * Counters of an interface up for long (`base` seconds of traffic before its first sample) that
 * restart from zero `at` seconds in (between two samples), as after a vRouter restart.
 */
const restarting =
  (at: number, base: number, counters: Interface['counters']): Interface['counters'] =>
  (s) =>
    counters(s < at ? base + s : s - at);

const interfaces: Interface[] = [
  // Sampled since before the range: its first pair reaches back into the lookback.
  { uuid: 'a', start: -1200, seconds: 3 * 3600 + 1200, counters: steady(1000, 500, { 'flow-limit': 2 }) },
  // Starts mid-bucket and mid-range; restarts between two samples of one minute (T0+1h17m28s).
  {
    uuid: 'b',
    start: 3600 + 7 * 60 + 23,
    seconds: 50 * 60,
    counters: restarting(605, 86400, steady(3000, 700, { 'invalid-source': 3 })),
  },
  // Starts mid-range, restarts at a bucket's first sample, stops mid-range.
  { uuid: 'c', start: 2 * 3600 + 1, seconds: 30 * 60, counters: restarting(900, 86400, steady(200, 0, {})) },
  // One drop reason alone restarts (at T0+1h00m07s, an hour's first sample: the levels keep one
  // peak per bucket, by bytes and packets, so a reason restarting alone inside a bucket loses its
  // part before) while the others go on (their sum grows).
  {
    uuid: 'd',
    start: 7,
    seconds: 2 * 3600,
    counters: (s) => ({
      ...steady(50, 50, { 'flow-limit': 1 })(s),
      drops: { 'flow-limit': s, misc: Math.floor((s < 3600 ? s : s - 3600) / 400) },
    }),
  },
  // Gone for 20 minutes mid-range (no rate across the gap, at any level), then back.
  { uuid: 'e', start: 1800 + 13, seconds: 20 * 60, counters: steady(10, 10, {}) },
  { uuid: 'e', start: 3600 + 13, seconds: 40 * 60, counters: steady(10, 10, {}) },
];

const uuid = (id: string): string => `0${id}000000-0000-4000-8000-00000000000${id}`;
const uuidBytes = (id: string): Buffer => Buffer.from(uuid(id).replaceAll('-', ''), 'hex');

function batches() {
  const records = interfaces
    .flatMap((i) =>
      Array.from({ length: i.seconds / 10 }, (_, n) => {
        const { in_bytes, out_bytes, drops } = i.counters(n * 10);
        const at = T0 + i.start + n * 10;
        return {
          vmi_uuid: uuidBytes(i.uuid),
          ...{ vm_name: `vm-${i.uuid}`, virtual_network: 'vn', vrouter: 'compute-1' },
          ...{ in_bytes, out_bytes, in_packets: in_bytes / 10, out_packets: out_bytes / 10, drops },
          active_flows: 1,
          timestamp: at * 1e6,
        };
      }),
    )
    .sort((x, y) => x.timestamp - y.timestamp);
  const out = [];
  for (let seq = 0; seq * 25 < records.length; seq++) {
    const header = { generator, seq, receivedAt: Date.now() * 1000 };
    out.push(busMessage('interface_stats', header, records.slice(seq * 25, seq * 25 + 25)));
  }
  return out;
}

/** In bytes over the range as the samples say: each increase, from zero after a reset (any counter down). */
function expectedInBytes(): number {
  let total = 0;
  for (const i of interfaces) {
    for (let n = 1; n < i.seconds / 10; n++) {
      const at = i.start + n * 10;
      if (at < 0 || at >= 3 * 3600) continue;
      const [prev, cur] = [i.counters((n - 1) * 10), i.counters(n * 10)];
      const sum = (drops: Record<string, number>) => Object.values(drops).reduce((a, b) => a + b, 0);
      const reset =
        cur.in_bytes < prev.in_bytes || cur.out_bytes < prev.out_bytes || sum(cur.drops) < sum(prev.drops);
      total += reset ? cur.in_bytes : cur.in_bytes - prev.in_bytes;
    }
  }
  return total;
}

const tables: InterfaceTable[] = [
  { name: 'if_stats', bucketSeconds: 0 },
  { name: 'if_stats_1m', bucketSeconds: 60 },
  { name: 'if_stats_1h', bucketSeconds: 3600 },
];
const selection = { range: { fromUs: T0 * 1e6, toUs: (T0 + 3 * 3600) * 1e6 } };

async function store(warehouse: ChdbWarehouse): Promise<void> {
  const writer = new BatchWriter(warehouse, writerRoute('ifstats'), {
    maxBytes: 1 << 20,
    lingerMs: 0,
    dedupWindowHours: 24,
  });
  for (const batch of batches()) await writer.write([batch]);
}

async function totals(warehouse: ChdbWarehouse, fromUs: number, toUs: number) {
  const answers = [];
  for (const table of tables) {
    const query = interfaceTotalsQuery({ range: { fromUs, toUs } }, table);
    answers.push(await warehouse.query<Record<string, unknown>>(query.sql, query.params));
  }
  return answers;
}

describe('interface stats rollups against the raw samples', () => {
  let warehouse: ChdbWarehouse;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-ifrollups-')));
    await migrate(warehouse);
    await store(warehouse);
  });
  after(() => warehouse.close());

  it('gives the same totals from raw, 1m and 1h over the same buckets', async () => {
    const [raw, ...rollups] = await totals(warehouse, selection.range.fromUs, selection.range.toUs);
    assert.equal(Number(raw![0]!.inBytes), expectedInBytes());
    for (const [i, rollup] of rollups.entries()) assert.deepEqual(rollup, raw, tables[i + 1]!.name);
  });

  it('gives the same rates per interface and hour from raw, 1m and 1h', async () => {
    const answers = [];
    for (const table of tables) {
      const query = interfaceSeriesQuery(selection, 'VMI', 10, 3600, table);
      const rows = await warehouse.query<Record<string, unknown>>(query.sql, query.params);
      answers.push(
        rows.map((row) =>
          JSON.stringify(row, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(6)) : v)),
        ),
      );
    }
    const [raw, ...rollups] = answers;
    assert.ok(raw!.length >= 8);
    for (const [i, rollup] of rollups.entries()) assert.deepEqual(rollup, raw, tables[i + 1]!.name);
  });
});

describe('migration 11 on levels filled before it', () => {
  let warehouse: ChdbWarehouse;
  const kept = T0 + 3600; // raw rows before it have expired (deleted here)

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-ifrollups-11-')));
    await migrate(
      warehouse,
      migrations.filter((m) => m.id < 11),
    );
    await store(warehouse);
    await warehouse.exec(
      `ALTER TABLE if_stats DELETE WHERE time < toDateTime(${kept}, 'UTC') SETTINGS mutations_sync = 2`,
    );
    assert.deepEqual(
      await migrate(warehouse),
      migrations.map((m) => m.id).filter((id) => id >= 11),
    );
  });
  after(() => warehouse.close());

  it('keeps the buckets the raw rows no longer cover, their one sample as their last', async () => {
    const [old] = await warehouse.query<{ rows: string; edges: number[] }>(
      `SELECT count() AS rows, groupUniqArray(edge) AS edges FROM if_stats_1m FINAL WHERE time < toDateTime(${kept}, 'UTC')`,
    );
    assert.ok(Number(old!.rows) > 60, `${old!.rows} rows`);
    assert.deepEqual(old!.edges, [2]);
  });

  it('rebuilds the edges of the buckets the raw rows cover: the levels answer as they do', async () => {
    const [raw, ...rollups] = await totals(warehouse, (T0 + 2 * 3600) * 1e6, (T0 + 3 * 3600) * 1e6);
    assert.ok(Number(raw![0]!.inBytes) > 0);
    for (const [i, rollup] of rollups.entries()) assert.deepEqual(rollup, raw, tables[i + 1]!.name);
  });
});
