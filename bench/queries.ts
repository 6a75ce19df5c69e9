/**
 * Query benchmark, run by hand (`npm run build && node dist/bench/queries.js [flows] [hours] [runs]`;
 * defaults 10M flows over 1 hour, `100000000 24` is the day-sized run): fills an embedded warehouse
 * with flows generated in the engine (INSERT … SELECT FROM numbers(), into the raw table so the
 * rollup views fill flows_1m and flows_1h as the writer's inserts do) and interface samples, then,
 * in the same process, for each question of the README (and the headline top 10 talkers of the last
 * hour) prints p50/p95 over `runs` of (a) the GraphQL query through the real yoga server in-process,
 * (b) the SQL the API sent, run directly with the same settings, (c) hand-written SQL for the same
 * answer, checked equal to the GraphQL answer once before timing; and the ratios a/c and b/c. The route
 * questions are bench/routes.ts's.
 */
import assert from 'node:assert/strict';
import { pairedAddress, printedAddress } from '../common/schema/addresses.js';
import type { QueryParams, QuerySettings, Warehouse } from '../common/warehouse/warehouse.js';
import { createQueryApi } from '../query/index.js';
import { endS, withQueryDataset } from './query-dataset.js';
import { p50p95, percentile, turns } from './timing.js';
import { ask } from '../harness/query-api-client.js';

const flows = Number(process.argv[2] ?? 10_000_000);
const hours = Number(process.argv[3] ?? 1);
const runs = Number(process.argv[4] ?? 11);

/** A timestamp `seconds` before the end, as the GraphQL arguments take it. */
const ago = (seconds: number): string => new Date((endS - seconds) * 1000).toISOString();
/** The same instant as SQL. */
const sqlAgo = (seconds: number): string => `toDateTime64(${endS - seconds}, 6, 'UTC')`;
const range = (seconds: number): string => `time >= ${sqlAgo(seconds)} AND time < ${sqlAgo(0)}`;
const args = (seconds: number): string => `from: "${ago(seconds)}", to: "${ago(0)}"`;

/** A warehouse that records every read the API makes, so that the same SQL can be run directly. */
class Recording implements Warehouse {
  reads: { sql: string; params: QueryParams; settings?: QuerySettings }[] = [];
  constructor(private readonly inner: Warehouse) {}
  dictionarySource = (): string => this.inner.dictionarySource();
  query<T>(sql: string, params?: QueryParams, settings?: QuerySettings): Promise<T[]> {
    this.reads.push({ sql, params: params ?? {}, settings });
    return this.inner.query<T>(sql, params, settings);
  }
  exec = (sql: string, params?: QueryParams): Promise<void> => this.inner.exec(sql, params);
  insertProtobuf: Warehouse['insertProtobuf'] = (insert, chunks) => this.inner.insertProtobuf(insert, chunks);
  insertRows: Warehouse['insertRows'] = (table, rows) => this.inner.insertRows(table, rows);
  close = async (): Promise<void> => undefined;
}

type Row = Record<string, unknown>;

interface Case {
  label: string;
  /** The GraphQL document, as the README writes it but with absolute times. */
  graphql: string;
  /** Hand-written SQL, and its rows turned into the GraphQL answer's shape. */
  hand: { sql: string; answer: (rows: Row[]) => unknown };
  /** The part of the GraphQL answer the hand SQL answers (default: all of it). */
  compared?: (data: Row) => unknown;
}

const ipv4 = (column: string): string => printedAddress(column);
const metrics = (r: Row) => ({
  bytes: Number(r.bytes),
  packets: Number(r.packets),
  records: Number(r.records),
});
const flowMeasures =
  'sum(diff_bytes * sampling) AS bytes, sum(diff_packets * sampling) AS packets, count() AS records';

/**
 * Top talkers by source and destination over the last `seconds`, from the raw table: IPv4 flows
 * grouped by their stored `ipv4_pair` (one 8-byte key for two 16-byte ones), the others by the two
 * addresses, the top of both kept; the addresses printed for the ten rows kept only (printed in the
 * same SELECT as the GROUP BY, ClickHouse prints every group: 2.5× slower on 300k flows).
 */
const topTalkers = (seconds: number): Case['hand'] => ({
  sql: `SELECT ${ipv4('s')} AS src, ${ipv4('d')} AS dst, bytes, packets, records FROM (
      SELECT ${pairedAddress('ipv4_pair', 'source')} AS s, ${pairedAddress('ipv4_pair', 'dest')} AS d,
        ${flowMeasures} FROM flows WHERE ${range(seconds)} AND ipv4_pair != 0
      GROUP BY ipv4_pair ORDER BY bytes DESC, ipv4_pair LIMIT 10
      UNION ALL
      SELECT source_ip AS s, dest_ip AS d, ${flowMeasures} FROM flows WHERE ${range(seconds)} AND ipv4_pair = 0
      GROUP BY s, d ORDER BY bytes DESC, s, d LIMIT 10)
    ORDER BY bytes DESC, s, d LIMIT 10`,
  answer: (rows) => ({
    flowGroups: { table: 'flows', groups: rows.map((r) => ({ keys: [r.src, r.dst], ...metrics(r) })) },
  }),
});

const talkersGraphql = (seconds: number): string =>
  `{ flowGroups(${args(seconds)}, by: [SOURCE_IP, DEST_IP], metric: BYTES, top: 10) {
      table groups { keys bytes packets records } } }`;

const workloadGroups = (where: string, top: number): Case['hand'] => ({
  sql: `SELECT source_workload AS a, dest_workload AS b, drop_reason AS c, count() AS records
    FROM flows WHERE ${range(3600)} AND ${where}
    GROUP BY a, b, c ORDER BY records DESC, a, b, c LIMIT ${top}`,
  answer: (rows) => ({
    flowGroups: { groups: rows.map((r) => ({ keys: [r.a, r.b, r.c], records: Number(r.records) })) },
  }),
});

/**
 * Consecutive samples of each interface over the last `seconds` (read from ten minutes before, so
 * the first point has a rate), paired as an expert might: an interface's samples sorted in an
 * array, each with the one before; increases from zero after a reset (any counter down), a drop
 * reason that alone went down from zero too. From the raw samples (newest received of each time)
 * or the 1m rollup's edges (the newest version of each).
 */
const interfacePairs = (table: 'if_stats' | 'if_stats_1m', where: string, seconds: number): string => {
  const [sampleTime, key, kept] =
    table === 'if_stats'
      ? ['time', 'vmi_uuid, time', 'received_at']
      : ['sample_time', 'vmi_uuid, time, edge', 'version'];
  return `SELECT vmi_uuid, p.1 AS time, p.2 AS st, p.3 AS vn, p.4 AS dt_us, p.5 AS d_ib, p.6 AS d_ob, p.7 AS d_dr
    FROM (
      SELECT vmi_uuid, arraySort(x -> x.2, groupArray((time, st, vn, ib, ob, ipk, opk, dr))) AS s FROM (
        SELECT vmi_uuid, time, ${sampleTime} AS st, virtual_network AS vn, in_bytes AS ib, out_bytes AS ob,
          in_packets AS ipk, out_packets AS opk, drops AS dr
        FROM ${table} WHERE time >= ${sqlAgo(seconds + 600)} AND time < ${sqlAgo(0)} AND ${where}
        ORDER BY ${key}, ${kept} DESC LIMIT 1 BY ${key})
      GROUP BY vmi_uuid)
    ARRAY JOIN arrayMap((c, v, reset) -> (c.1, c.2, c.3, toUnixTimestamp64Micro(c.2) - toUnixTimestamp64Micro(v.2),
        c.4 - if(reset, 0, v.4), c.5 - if(reset, 0, v.5),
        mapApply((r, n) -> (r, n - if(reset OR n < v.8[r], 0, v.8[r])), c.8)),
      arrayPopFront(s), arrayPopBack(s),
      arrayMap((c, v) -> c.4 < v.4 OR c.5 < v.5 OR c.6 < v.6 OR c.7 < v.7
        OR arraySum(mapValues(c.8)) < arraySum(mapValues(v.8)), arrayPopFront(s), arrayPopBack(s))) AS p
    WHERE ${range(seconds)} AND dt_us > 0 AND dt_us <= 600e6`;
};

/** A rate as compared: the hand SQL sums floating point in another order than the API's. */
const rounded = (value: unknown): number => Number(Number(value).toPrecision(9));

/** A point of an interface series as the GraphQL question below asks it, from rates by name. */
const interfacePoint = (t: unknown, inBps: unknown, outBps: unknown, drops: Record<string, unknown>) => ({
  time: new Date(Number(t) * 1000).toISOString(),
  inBytesPerSec: rounded(inBps),
  outBytesPerSec: rounded(outBps),
  dropsPerSec: rounded(Object.values(drops).reduce<number>((n, v) => n + Number(v), 0)),
  dropsByReason: Object.keys(drops)
    .sort()
    .map((reason) => ({ reason, perSec: rounded(drops[reason]) })),
});

/** The API's default step for an hour: about 300 points, rounded up to 15 s; served by raw samples. */
const hourStep = 15;

/** The API's RFC 3339 of a DateTime64 printed by ClickHouse. */
const iso = (text: unknown): string => `${String(text).replace(' ', 'T')}Z`;

const cases: Case[] = [
  {
    label: 'top 10 talkers, last hour (headline)',
    graphql: talkersGraphql(3600),
    hand: topTalkers(3600),
  },
  {
    label: 'README top talkers, last 5 min',
    graphql: talkersGraphql(300),
    hand: topTalkers(300),
  },
  {
    label: 'README denied flows into a namespace',
    graphql: `{ flows(${args(900)}, filter: [{ destNamespace: ["test-isolated-ns"], action: ["deny", "drop"] }], first: 20) {
        edges { node { time sourceIp sourceNamespace sourceWorkload destIp destWorkload destPort action dropReason
          sgRuleUuid nwAceUuid sgRule { owner number text } nwAce { owner number action text } } }
        pageInfo { hasNextPage } } }`,
    // sgRule and nwAce are TF's implicit uuids here, named without a read.
    compared: (data) => {
      const page = data.flows as { edges: { node: Row }[]; pageInfo: unknown };
      return {
        nodes: page.edges.map(({ node: { sgRule: _s, nwAce: _n, ...rest } }) => rest),
        pageInfo: page.pageInfo,
      };
    },
    hand: {
      sql: `SELECT toString(time) AS at, ${ipv4('source_ip')} AS sourceIp, source_namespace AS sourceNamespace,
          source_workload AS sourceWorkload, ${ipv4('dest_ip')} AS destIp, dest_workload AS destWorkload,
          dport AS destPort, toString(action) AS action, drop_reason AS dropReason, sg_rule_uuid AS sgRuleUuid,
          nw_ace_uuid AS nwAceUuid
        FROM flows WHERE ${range(900)} AND dest_namespace = 'test-isolated-ns' AND action IN ('deny', 'drop')
        ORDER BY time DESC, generator DESC, batch_epoch DESC, batch_seq DESC, flow_uuid DESC LIMIT 21`,
      answer: (rows) => ({
        nodes: rows
          .slice(0, 20)
          .map(({ at, ...r }) => ({ time: iso(at), ...r, destPort: Number(r.destPort) })),
        pageInfo: { hasNextPage: rows.length > 20 },
      }),
    },
  },
  {
    label: 'README flowTotals, last hour',
    graphql: `{ flowTotals(${args(3600)}) { records bytes packets } }`,
    hand: {
      sql: `SELECT sum(records) AS records, sum(bytes) AS bytes, sum(packets) AS packets
        FROM flows_1m WHERE ${range(3600)}`,
      answer: ([r]) => ({ flowTotals: metrics(r!) }),
    },
  },
  {
    label: 'README flowSeries by vRouter, 1m step',
    graphql: `{ flowSeries(${args(3600)}, by: [VROUTER], metric: PACKETS, step: "1m") {
        step series { keys points { time value } } } }`,
    // Series compared in key order: the API gives them in no set order.
    compared: (data) => {
      const answer = data.flowSeries as { step: number; series: { keys: string[] }[] };
      return { ...answer, series: [...answer.series].sort((a, b) => a.keys[0]!.localeCompare(b.keys[0]!)) };
    },
    hand: {
      sql: `SELECT toUnixTimestamp(time) AS t, vrouter, sum(packets) AS value
        FROM flows_1m WHERE ${range(3600)} AND vrouter IN (
          SELECT vrouter FROM flows_1m WHERE ${range(3600)} GROUP BY vrouter ORDER BY sum(packets) DESC LIMIT 10)
        GROUP BY t, vrouter ORDER BY vrouter, t`,
      answer: (rows) => {
        const series = new Map<string, { time: string; value: number }[]>();
        for (const r of rows) {
          const points = series.get(String(r.vrouter)) ?? [];
          points.push({ time: new Date(Number(r.t) * 1000).toISOString(), value: Number(r.value) });
          series.set(String(r.vrouter), points);
        }
        return { step: 60, series: [...series].map(([key, points]) => ({ keys: [key], points })) };
      },
    },
  },
  {
    label: 'README denied by workload (labels)',
    graphql: `{ flowGroups(${args(3600)},
        filter: [{ sourceLabel: ["app=frontend"], sourceNamespace: ["payments"], action: ["deny", "drop"] }]
        by: [SOURCE_WORKLOAD, DEST_WORKLOAD, DROP_REASON], metric: RECORDS, top: 20) { groups { keys records } } }`,
    hand: workloadGroups(
      `source_labels['app'] = 'frontend' AND source_namespace = 'payments' AND action IN ('deny', 'drop')`,
      20,
    ),
  },
  {
    label: 'README filter language by workload',
    graphql: `{ flowGroups(${args(3600)}, where: "action in (deny, drop) and protocol = tcp",
        by: [SOURCE_WORKLOAD, DEST_WORKLOAD, DROP_REASON], metric: RECORDS) { groups { keys records } } }`,
    hand: workloadGroups(`action IN ('deny', 'drop') AND protocol = 6`, 10),
  },
  {
    label: 'README interfaceSeries by VN, top 5',
    graphql: `{ interfaceSeries(${args(3600)}, by: VN, top: 5) { key points { time inBytesPerSec
        outBytesPerSec dropsPerSec dropsByReason { reason perSec } } } }`,
    compared: (data) => ({
      interfaceSeries: (data.interfaceSeries as { key: string; points: Row[] }[]).map(({ key, points }) => ({
        key,
        points: points.map((p) =>
          interfacePoint(
            Date.parse(String(p.time)) / 1000,
            p.inBytesPerSec,
            p.outBytesPerSec,
            Object.fromEntries((p.dropsByReason as Row[]).map((d) => [d.reason, d.perSec])),
          ),
        ),
      })),
    }),
    // Rates per interface (its increases over the seconds its pairs span), summed per VN; the five
    // VNs of most bytes kept with their points in one pass.
    hand: {
      sql: `SELECT vn, sum(bytes) AS total, arraySort(groupArray((t, in_bps, out_bps, drops))) AS points FROM (
          SELECT t, vn, sum(ib / seconds) AS in_bps, sum(ob / seconds) AS out_bps,
            sumMap(mapApply((r, n) -> (r, n / seconds), dr)) AS drops, sum(ib + ob) AS bytes
          FROM (
            SELECT intDiv(toUnixTimestamp(time), ${hourStep}) * ${hourStep} AS t, argMax(vn, st) AS vn,
              sum(dt_us) / 1e6 AS seconds, sum(d_ib) AS ib, sum(d_ob) AS ob, sumMap(d_dr) AS dr
            FROM (${interfacePairs('if_stats', '1', 3600)}) GROUP BY vmi_uuid, t)
          GROUP BY vn, t)
        GROUP BY vn ORDER BY total DESC, vn LIMIT 5`,
      answer: (rows) => ({
        interfaceSeries: rows.map((r) => ({
          key: r.vn,
          points: (r.points as [unknown, unknown, unknown, Record<string, unknown>][]).map((p) =>
            interfacePoint(...p),
          ),
        })),
      }),
    },
  },
  {
    label: 'README interfaceTotals of a vRouter',
    graphql: `{ interfaceTotals(${args(3600)}, filter: { vrouter: ["compute-1"] }) { inBytes outBytes drops table } }`,
    hand: {
      sql: `SELECT sum(d_ib) AS inBytes, sum(d_ob) AS outBytes, arraySum(mapValues(sumMap(d_dr))) AS drops
        FROM (${interfacePairs('if_stats_1m', `vrouter = 'compute-1'`, 3600)})`,
      answer: ([r]) => ({
        interfaceTotals: {
          inBytes: Number(r!.inBytes),
          outBytes: Number(r!.outBytes),
          drops: Number(r!.drops),
          table: 'if_stats_1m',
        },
      }),
    },
  },
];

await withQueryDataset(flows, hours, async (warehouse) => {
  const recording = new Recording(warehouse);
  const api = createQueryApi(recording);
  const header = `${'query'.padEnd(40)} ${'GraphQL p50/p95'.padStart(17)} ${'generated'.padStart(17)} ${'hand'.padStart(17)}  GraphQL/hand generated/hand`;
  console.log(`\n${runs} runs each after one warm-up, ms\n${header}`);
  for (const c of cases) {
    recording.reads = [];
    const data = await ask<Row>(api, c.graphql);
    const reads = [...recording.reads];
    const { hand } = c;
    const handRows = await warehouse.query<Row>(hand.sql);
    const compared = (c.compared ?? ((d) => d))(data);
    assert.deepEqual(hand.answer(handRows), compared, `${c.label}: answers differ`);
    const [graphql, generated, handTime] = (await turns(runs, [
      () => ask(api, c.graphql),
      async () => {
        for (const r of reads) await warehouse.query(r.sql, r.params, r.settings);
      },
      () => warehouse.query(hand.sql, {}, reads[0]?.settings),
    ])) as [number[], number[], number[]];
    const p50 = (ms: number[]) => percentile(ms, 0.5);
    const ratio = (ms: number[], width: number) => (p50(ms) / p50(handTime)).toFixed(2).padStart(width);
    console.log(
      `${c.label.padEnd(40)} ${p50p95(graphql)} ${p50p95(generated)} ${p50p95(handTime)}  ` +
        `${ratio(graphql, 12)} ${ratio(generated, 14)}  (GraphQL/generated ${(p50(graphql) / p50(generated)).toFixed(2)})`,
    );
  }
});
