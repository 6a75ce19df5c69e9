import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { post as postApi } from '../../../harness/query-api-client.js';
import { chooseInterfaceTable } from '../../../common/sql/interfaces.js';
import { busMessage } from '../../../harness/bus-records.js';

/**
 * Known counters, sampled every 10 s from T0 (an hour boundary six hours ago):
 * - A (vm-1, vn-red, compute-1), 3 h: in 1000 B/s, out 500 B/s, 10 and 5 packets/s, drops flow-limit
 *   2/s and no-fmd 1/s, 7 active flows.
 * - B (vm-1, vn-blue, compute-1), 3 h, sampled 5 s after A: in 3000 B/s, out 1000 B/s, 30 and 10
 *   packets/s, drops invalid-source 4/s, 3 active flows.
 * - C (vm-2, vn-red, compute-2), 20 min: in 2000 B/s, out 0; its vRouter restarts at T0+600 s,
 *   where its counters start again from 5000 bytes and 5 packets. Drops: flow-limit 10/s and misc
 *   0.1/s, but misc alone starts again from 1 at T0+300 s (the other counters go on).
 * - D (vm-3, vn-green, compute-3), 3 h, sampled 3 s after A: uneven, 100 to 1300 B/s in each 10 s.
 */
const T0 = Math.floor(Date.now() / 3600e3) * 3600 - 6 * 3600;
const A = '0a000000-0000-4000-8000-00000000000a';
const B = '0b000000-0000-4000-8000-00000000000b';
const C = '0c000000-0000-4000-8000-00000000000c';
const D = '0d000000-0000-4000-8000-00000000000d';
const generator = 'compute-1:Compute:contrail-vrouter-agent:0';

interface Interface {
  uuid: string;
  vm: string;
  vn: string;
  vrouter: string;
  offset: number;
  seconds: number;
  counters: (elapsed: number) => {
    in_bytes: number;
    out_bytes: number;
    in_packets: number;
    out_packets: number;
    drops: Record<string, number>;
    active_flows: number;
  };
}

const steady =
  (inB: number, outB: number, inP: number, outP: number, drops: Record<string, number>, flows: number) =>
  (s: number) => ({
    in_bytes: inB * s,
    out_bytes: outB * s,
    in_packets: inP * s,
    out_packets: outP * s,
    drops: Object.fromEntries(Object.entries(drops).map(([r, perSec]) => [r, perSec * s])),
    active_flows: flows,
  });

const RESET_AT = 600;
const MISC_AT = 300;
const interfaces: Interface[] = [
  {
    uuid: A,
    ...{ vm: 'vm-1', vn: 'vn-red', vrouter: 'compute-1', offset: 0, seconds: 3 * 3600 },
    counters: steady(1000, 500, 10, 5, { 'flow-limit': 2, 'no-fmd': 1 }, 7),
  },
  {
    uuid: B,
    ...{ vm: 'vm-1', vn: 'vn-blue', vrouter: 'compute-1', offset: 5, seconds: 3 * 3600 },
    counters: steady(3000, 1000, 30, 10, { 'invalid-source': 4 }, 3),
  },
  {
    uuid: C,
    ...{ vm: 'vm-2', vn: 'vn-red', vrouter: 'compute-2', offset: 0, seconds: 1200 },
    counters: (s) =>
      s < RESET_AT
        ? {
            ...steady(2000, 0, 20, 0, { 'flow-limit': 10 }, 1)(s),
            drops: { 'flow-limit': 10 * s, misc: s < MISC_AT ? s / 10 : (s - MISC_AT) / 10 + 1 },
          }
        : {
            ...steady(2000, 0, 20, 0, { 'flow-limit': 10, misc: 0.1 }, 1)(s - RESET_AT),
            in_bytes: 5000 + 2000 * (s - RESET_AT),
            in_packets: 5 + 20 * (s - RESET_AT),
          },
  },
];

/** D's cumulative bytes at each 10 s sample: uneven increases, so any sample mixed up shows. */
const uneven = Array.from({ length: 1080 }, (_, n) => 1000 * (((n * 7919) % 13) + 1)).reduce<number[]>(
  (sums, inc) => [...sums, (sums.at(-1) ?? 0) + inc],
  [],
);
interfaces.push({
  uuid: D,
  ...{ vm: 'vm-3', vn: 'vn-green', vrouter: 'compute-3', offset: 3, seconds: 3 * 3600 },
  counters: (s) => ({ ...steady(0, 0, 0, 0, {}, 2)(s), in_bytes: uneven[s / 10]!, in_packets: s }),
});

const uuidBytes = (uuid: string): Buffer => Buffer.from(uuid.replaceAll('-', ''), 'hex');

/** Every interface's samples, in batches of 25 that cut across minutes (rollups then hold several rows per bucket). */
function batches() {
  const records = interfaces.flatMap((i) =>
    Array.from({ length: i.seconds / 10 }, (_, n) => {
      const elapsed = n * 10;
      return {
        vmi_uuid: uuidBytes(i.uuid),
        vm_name: i.vm,
        virtual_network: i.vn,
        vrouter: i.vrouter,
        ...i.counters(elapsed),
        timestamp: (T0 + i.offset + elapsed) * 1e6,
      };
    }),
  );
  const out = [];
  for (let seq = 0; seq * 25 < records.length; seq++) {
    const header = { generator, seq, receivedAt: Date.now() * 1000 };
    out.push(busMessage('interface_stats', header, records.slice(seq * 25, seq * 25 + 25)));
  }
  return out;
}

interface Point {
  time: string;
  inBytesPerSec: number;
  outBytesPerSec: number;
  inPacketsPerSec: number;
  outPacketsPerSec: number;
  dropsPerSec: number;
  dropsByReason: { reason: string; perSec: number }[];
  activeFlows: number;
}
interface Series {
  key: string;
  points: Point[];
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const at = (offset: number): string => iso(T0 + offset);

describe('interface stats API on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  const post = (query: string) => postApi(api, query);
  const series = async (args: string): Promise<Series[]> => {
    const fields = `key points { time inBytesPerSec outBytesPerSec inPacketsPerSec outPacketsPerSec
      dropsPerSec dropsByReason { reason perSec } activeFlows }`;
    const body = await post(`{ interfaceSeries(${args}) { ${fields} } }`);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!.interfaceSeries as Series[];
  };
  const inRates = (s: Series[]) =>
    Object.fromEntries(s.map((x) => [x.key, [...new Set(x.points.map((p) => p.inBytesPerSec))]]));

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-ifstats-')));
    await migrate(warehouse);
    const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
    const writer = new BatchWriter(warehouse, writerRoute('ifstats'), options);
    for (const batch of batches()) await writer.write([batch]);
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('gives exact rates of a steady counter, from raw samples on a short range', async () => {
    const range = `from: "${at(3600)}", to: "${at(3600 + 1800)}", step: "1m"`;
    assert.equal(chooseInterfaceTable(rangeOf(3600, 1800), 60).name, 'if_stats');
    const [b, a, ...rest] = await series(`${range}, by: VMI`);
    assert.deepEqual(
      [b?.key, a?.key, ...rest.map((s) => s.key)],
      [B, A, D],
      'largest bytes first, C has no sample there',
    );
    assert.ok(a && b);
    assert.equal(a.points.length, 30);
    assert.deepEqual(a.points[0], {
      time: at(3600),
      inBytesPerSec: 1000,
      outBytesPerSec: 500,
      inPacketsPerSec: 10,
      outPacketsPerSec: 5,
      dropsPerSec: 3,
      dropsByReason: [
        { reason: 'flow-limit', perSec: 2 },
        { reason: 'no-fmd', perSec: 1 },
      ],
      activeFlows: 7,
    });
    assert.equal(new Set(a.points.map((p) => JSON.stringify({ ...p, time: '' }))).size, 1);
    assert.deepEqual(inRates([a, b]), { [A]: [1000], [B]: [3000] });
  });

  it('counts only the increase after a counter reset, never a negative rate', async () => {
    const [c] = await series(`from: "${at(0)}", to: "${at(1200)}", step: "1m", filter: { vmi: ["${C}"] }`);
    assert.equal(c?.points.length, 20);
    const byTime = Object.fromEntries(c.points.map((p) => [p.time, p.inBytesPerSec]));
    // The minute of the restart: 5000 bytes after it, then five steady 10 s increases.
    assert.equal(byTime[at(RESET_AT)], (5000 + 5 * 20000) / 60);
    assert.ok(c.points.every((p) => p.inBytesPerSec >= 0 && p.inPacketsPerSec >= 0));
    assert.ok(c.points.every((p) => p.dropsByReason.every((d) => d.perSec >= 0)));
    // misc alone went down: it counts from zero (1, then 1 every 10 s) while flow-limit goes on.
    assert.deepEqual(c.points.find((p) => p.time === at(MISC_AT))?.dropsByReason, [
      { reason: 'flow-limit', perSec: 10 },
      { reason: 'misc', perSec: 0.1 },
    ]);
    assert.deepEqual(
      c.points.filter((p) => p.time !== at(RESET_AT)).map((p) => p.inBytesPerSec),
      Array(19).fill(2000),
    );
    const totals = await post(
      `{ interfaceTotals(from: "${at(0)}", to: "${at(1200)}", filter: { vmi: ["${C}"] }) { inBytes inPackets table } }`,
    );
    // 119 pairs of samples: 118 steady ones of 20000 bytes, and 5000 across the restart.
    assert.deepEqual(totals.data?.interfaceTotals, {
      inBytes: 118 * 20000 + 5000,
      inPackets: 118 * 200 + 5,
      table: 'if_stats',
    });
  });

  it('sums the rates of the interfaces of a VM, a virtual network and a vRouter', async () => {
    const range = `from: "${at(0)}", to: "${at(1200)}", step: "5m", filter: { vm: ["vm-1", "vm-2"] }`;
    // vm-2 (C alone) is 1950 B/s over the 5 minutes of its restart: 5000 + 29 × 20000 bytes in 300 s.
    assert.deepEqual(inRates(await series(`${range}, by: VM`)), { 'vm-1': [4000], 'vm-2': [2000, 1950] });
    assert.deepEqual(inRates(await series(`${range}, by: VN`)), {
      'vn-red': [3000, 2950],
      'vn-blue': [3000],
    });
    assert.deepEqual(inRates(await series(`${range}, by: VROUTER`)), {
      'compute-1': [4000],
      'compute-2': [2000, 1950],
    });
    const [vm1] = await series(`${range}, by: VM, top: 1`);
    assert.equal(vm1?.key, 'vm-1');
    assert.deepEqual(vm1.points[1], {
      time: at(300),
      inBytesPerSec: 4000,
      outBytesPerSec: 1500,
      inPacketsPerSec: 40,
      outPacketsPerSec: 15,
      dropsPerSec: 7,
      dropsByReason: [
        { reason: 'flow-limit', perSec: 2 },
        { reason: 'invalid-source', perSec: 4 },
        { reason: 'no-fmd', perSec: 1 },
      ],
      activeFlows: 10,
    });
  });

  it('filters: OR inside a field, AND across fields', async () => {
    const range = `from: "${at(0)}", to: "${at(1200)}", step: "5m", by: VMI`;
    const keys = async (filter: string) =>
      (await series(`${range}, filter: ${filter}`)).map((s) => s.key).sort();
    assert.deepEqual(await keys(`{ vmi: ["${A}", "${C.toUpperCase()}"] }`), [A, C]);
    assert.deepEqual(await keys('{ vn: ["vn-red"] }'), [A, C]);
    assert.deepEqual(await keys('{ vn: ["vn-red", "vn-blue"], vrouter: ["compute-1"] }'), [A, B]);
    assert.deepEqual(await keys('{ vrouter: ["compute-2", "compute-3"] }'), [C, D]);
    assert.deepEqual(await keys('{ vm: ["vm-1"], vn: ["vn-blue"] }'), [B]);
    assert.deepEqual(await keys('{ vrouter: ["compute-9"] }'), []);
    const totals = await post(
      `{ interfaceTotals(from: "${at(3600)}", to: "${at(7200)}", filter: { vm: ["vm-1"] }) {
        inBytes outBytes drops dropsByReason { reason count } table } }`,
    );
    assert.deepEqual(totals.data?.interfaceTotals, {
      inBytes: 4000 * 3600,
      outBytes: 1500 * 3600,
      drops: 7 * 3600,
      dropsByReason: [
        { reason: 'flow-limit', count: 2 * 3600 },
        { reason: 'invalid-source', count: 4 * 3600 },
        { reason: 'no-fmd', count: 3600 },
      ],
      table: 'if_stats_1m',
    });
  });

  it('gives the same rates from if_stats_1m and if_stats_1h as from raw samples', async () => {
    const vm1 = '{ vm: ["vm-1"] }';
    // 10-minute points: raw over 50 minutes, the 1m rollup over 3 hours.
    assert.equal(chooseInterfaceTable(rangeOf(3600, 3000), 600).name, 'if_stats');
    assert.equal(chooseInterfaceTable(rangeOf(0, 3 * 3600), 600).name, 'if_stats_1m');
    const raw = await series(`from: "${at(3600)}", to: "${at(3600 + 3000)}", step: "10m", filter: ${vm1}`);
    const minute = await series(`from: "${at(0)}", to: "${at(3 * 3600)}", step: "10m", filter: ${vm1}`);
    assert.equal(raw.length, 2);
    assert.equal(minute.length, 2);
    for (const r of raw) {
      const m = minute.find((s) => s.key === r.key)!;
      assert.equal(m.points.length, 18);
      assert.deepEqual(
        m.points.filter((p) => r.points.some((q) => q.time === p.time)),
        r.points,
      );
    }
    assert.deepEqual(inRates(minute), { [B]: [3000], [A]: [1000] });
    // Hourly points: raw over 59 minutes, the 1h rollup over three days.
    assert.equal(chooseInterfaceTable(rangeOf(-69 * 3600, 72 * 3600), 3600).name, 'if_stats_1h');
    const hourly = await series(
      `from: "${at(-69 * 3600)}", to: "${at(3 * 3600)}", step: "1h", by: VM, filter: ${vm1}`,
    );
    const rawHour = await series(
      `from: "${at(3600)}", to: "${at(3600 + 3540)}", step: "1h", by: VM, filter: ${vm1}`,
    );
    // The first hour has a point too: the rollups keep each bucket's first sample.
    assert.deepEqual(
      hourly.map((s) => [s.key, s.points.map((p) => p.time)]),
      [['vm-1', [at(0), at(3600), at(7200)]]],
    );
    assert.deepEqual(hourly[0]!.points[1], rawHour[0]!.points[0]);
    assert.deepEqual(inRates(hourly), { 'vm-1': [4000] });
  });

  it('gives the same rates of an uneven counter at every level, from the samples each bucket keeps', async () => {
    const d = `filter: { vmi: ["${D}"] }`;
    const points = async (from: number, to: number, step: string) => {
      const [one, ...none] = await series(`from: "${at(from)}", to: "${at(to)}", step: "${step}", ${d}`);
      assert.deepEqual(none, []);
      return one!.points;
    };
    // Raw samples against if_stats_1m (10-minute points), if_stats_1m against if_stats_1h (hourly).
    const raw = await points(3600, 3600 + 3000, '10m');
    const minute = await points(0, 3 * 3600, '10m');
    assert.equal(raw.length, 5);
    assert.deepEqual(
      minute.filter((p) => raw.some((q) => q.time === p.time)),
      raw,
    );
    assert.ok(new Set(minute.map((p) => p.inBytesPerSec)).size > 1, 'the rates vary');
    const byMinute = await points(0, 3 * 3600, '1h');
    const byHour = await points(-69 * 3600, 3 * 3600, '1h');
    assert.equal(byHour.length, 3);
    assert.deepEqual(
      byMinute.filter((p) => byHour.some((q) => q.time === p.time)),
      byHour,
    );
    // The hour from T0+1h: from the last sample of the hour before to the last of this one.
    const last = (offset: number) => uneven[Math.floor((offset - 3) / 10)]!;
    assert.equal(byHour[1]!.inBytesPerSec, (last(7200) - last(3600)) / 3600);
  });

  it('names the argument it refuses', async () => {
    const refused = async (args: string, message: RegExp) => {
      const body = await post(`{ interfaceSeries(${args}) { key } }`);
      assert.match(body.errors?.[0]?.message ?? '', message);
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    };
    await refused('step: "5 minutes"', /^step: "5 minutes" is not a duration/);
    await refused('step: "1s", from: "now-7d"', /^step: "1s" gives more than 2000 points/);
    await refused(`from: "${at(600)}", to: "${at(0)}"`, /^from \(.*\) must be before to/);
    await refused('top: 0', /^top: 0 is not between 1 and 1000/);
    await refused('top: 5000', /^top: 5000 is not between 1 and 1000/);
    await refused('filter: { vmi: ["vm-1"] }', /^filter\.vmi: "vm-1" is not a UUID/);
    await refused('from: "yesterday"', /^from: "yesterday" is neither RFC 3339/);
  });
});

function rangeOf(offset: number, seconds: number) {
  return { fromUs: (T0 + offset) * 1e6, toUs: (T0 + offset + seconds) * 1e6 };
}
