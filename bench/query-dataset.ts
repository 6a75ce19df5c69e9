/**
 * The data the query benchmarks ask about (bench/queries.ts, bench/dashboards.ts): flows generated in
 * the engine (INSERT … SELECT FROM numbers(), into the raw table so that the rollup views fill
 * flows_1m and flows_1h as the writer's inserts do) and interface samples, up to endS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { loadAverage, machine } from './timing.js';

/** The data ends on a whole minute, so that rollup answers (widened to whole buckets) equal raw ones. */
export const endS = Math.floor(Date.now() / 60e3) * 60;

const rowsPerInsert = 1_000_000;
const namespaces = ['payments', 'test-isolated-ns', ...Array.from({ length: 18 }, (_, i) => `team-${i}`)];
const apps = ['frontend', 'backend', 'db', 'cache', 'worker', 'gateway', 'batch', 'metrics'];
const dropReasons = ['policy_deny', 'sg_deny', 'no_route', 'flow_limit', 'reverse_flow_missing'];
const addresses = 4000;
const quotedList = (values: readonly string[]): string => `[${values.map((v) => `'${v}'`).join(', ')}]`;

/**
 * One flow per number: a source among `addresses` pods (skewed: a few talk most), a destination
 * among the 16 peers that source talks to (skewed too: a service graph, some 60k pairs in all, not
 * every pod to every pod), each pod with its namespace, VN, vRouter (50), app label
 * and workload; the destination's service port; ~8% denied or dropped (most flows into
 * test-isolated-ns from outside it), each with a drop reason.
 */
const fillFlows =
  `INSERT INTO flows (time, received_at, generator, batch_epoch, batch_seq, flow_uuid, reverse_uuid,
    vrouter, vrouter_ip, other_vrouter_ip, direction, source_vn, dest_vn, source_ip, dest_ip, protocol, sport, dport,
    action, drop_reason, sg_rule_uuid, nw_ace_uuid, vmi_uuid, setup_time, teardown_time, bytes, packets,
    diff_bytes, diff_packets, tcp_flags, underlay_proto, underlay_source_port, sampling, source_workload,
    dest_workload, source_namespace, dest_namespace, source_labels, dest_labels)
  SELECT t, t + toIntervalMillisecond(300), concat(vr, ':Compute:contrail-vrouter-agent:0'), 1,
    intDiv(number, 5000), generateUUIDv4(number), generateUUIDv4(number + 1), vr,
    toIPv6(toIPv4(3232235520 + s % 50)), toIPv6(toIPv4(3232235520 + d % 50)), 1 + h % 2,
    vn(s), vn(d), toIPv6(toIPv4(167772160 + s)), toIPv6(toIPv4(167772160 + d)),
    if(port = 53, 17, 6), 32768 + h % 28000, port, act, if(act = 'pass', '', reason),
    if(act = 'pass', concat('5e1f0000-0000-4000-8000-0000000000', leftPad(toString(d % 50), 2, '0')), ''),
    if(act = 'pass', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'),
    toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(s), 12, '0'))),
    t - toIntervalSecond(10), toDateTime64(0, 6, 'UTC'), h % 100000, 1 + intDiv(h % 100000, 700),
    h3 % 20000, 1 + intDiv(h3 % 20000, 700), 0, 'MPLSoUDP', h3 % 65536, 1,
    concat(app(s), '-', toString(s % 500)), concat(app(d), '-', toString(d % 500)), ns(s), ns(d),
    map('app', app(s)), map('app', app(d))
  FROM (
    SELECT number, sipHash64(number, 1) AS h, sipHash64(number, 3) AS h3,
      toUInt32(floor(pow((h % 1000003) / 1000003, 3) * ${addresses})) AS s,
      toUInt32((s * 2654435761 + floor(pow((sipHash64(number, 2) % 1000003) / 1000003, 2) * 16) * 40503) % ${addresses}) AS d,
      fromUnixTimestamp64Micro(toInt64({start:Int64} + intDiv(number * {spanUs:UInt64}, {rows:UInt64})), 'UTC') AS t,
      concat('compute-', toString(s % 50)) AS vr,
      [80, 443, 5432, 6379, 8080, 53, 9090, 3306][1 + d % 8] AS port,
      multiIf(d % 20 = 1 AND s % 20 != 1 AND h3 % 10 < 8, 'deny', h3 % 100 < 3, 'deny', h3 % 100 < 5, 'drop', 'pass') AS act,
      ${quotedList(dropReasons)}[1 + h3 % 5] AS reason
    FROM numbers({first:UInt64}, {count:UInt64})
  )`
    .replaceAll(/ns\(([sd])\)/g, `${quotedList(namespaces)}[1 + $1 % 20]`)
    .replaceAll(
      /vn\(([sd])\)/g,
      `concat('default-domain:k8s-', ${quotedList(namespaces)}[1 + $1 % 20], ':pod-network')`,
    )
    .replaceAll(/app\(([sd])\)/g, `${quotedList(apps)}[1 + intDiv($1, 20) % 8]`);

/** Interface samples every 10 s of 2000 VMIs (on the flows' 50 vRouters), counters rising, drops by reason. */
const interfaces = 2000;
const fillInterfaces = `INSERT INTO if_stats (time, received_at, generator, batch_seq, vmi_uuid, vm_name,
    virtual_network, vrouter, in_bytes, out_bytes, in_packets, out_packets, drops, active_flows)
  SELECT t, t, concat(vr, ':Compute:contrail-vrouter-agent:0'), number,
    toUUID(concat('00000000-0000-4000-8000-', leftPad(toString(i), 12, '0'))), concat('vm-', toString(i)),
    concat('default-domain:k8s-', ${quotedList(namespaces)}[1 + i % 20], ':pod-network'), vr,
    n * (1000 + i) * 10, n * (500 + i % 700) * 10, n * 10, n * 7,
    map('flow-limit', intDiv(n * (i % 7), 3), 'no-route', intDiv(n * (i % 3), 5)), i % 50
  FROM (
    SELECT number, number % ${interfaces} AS i, intDiv(number, ${interfaces}) AS n,
      toDateTime64({start:UInt32} + n * 10 + i % 10, 6, 'UTC') AS t, concat('compute-', toString(i % 50)) AS vr
    FROM numbers({first:UInt64}, {count:UInt64})
  )`;

/**
 * Runs `use` on a new embedded warehouse holding the dataset (`flows` flows over the `hours` before
 * endS), between the machine's description and its load after; the warehouse is removed after.
 */
export async function withQueryDataset(
  flows: number,
  hours: number,
  use: (warehouse: Warehouse) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-bench-query-dataset-'));
  const warehouse = new ChdbWarehouse(dir);
  try {
    console.log(machine());
    await migrate(warehouse);
    await fillQueryDataset(warehouse, flows, hours);
    await use(warehouse);
    console.log(`load average after: ${loadAverage()}`);
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fills a migrated warehouse with `flows` flows spread evenly over the `hours` before endS, and
 * interface samples over the same span; prints how long each took and the tables' sizes.
 */
async function fillQueryDataset(warehouse: Warehouse, flows: number, hours: number): Promise<void> {
  const startS = endS - hours * 3600;
  let started = performance.now();
  const spanUs = hours * 3600e6;
  for (let first = 0; first < flows; first += rowsPerInsert) {
    const count = Math.min(rowsPerInsert, flows - first);
    await warehouse.exec(fillFlows, { start: startS * 1e6, spanUs, rows: flows, first, count });
  }
  const flowMs = performance.now() - started;
  const samples = interfaces * hours * 360;
  started = performance.now();
  for (let first = 0; first < samples; first += rowsPerInsert) {
    const count = Math.min(rowsPerInsert, samples - first);
    await warehouse.exec(fillInterfaces, { start: startS, first, count });
  }
  const sizes = await warehouse.query<{ t: string; n: string; parts: string }>(
    `SELECT table AS t, toString(sum(rows)) AS n, toString(count()) AS parts FROM system.parts
     WHERE active AND database = currentDatabase() AND table IN ('flows', 'flows_1m', 'flows_1h', 'if_stats', 'if_stats_1m')
     GROUP BY t ORDER BY t`,
  );
  const [deny] = await warehouse.query<{ share: number }>(
    `SELECT countIf(action IN ('deny', 'drop')) / count() AS share FROM flows`,
  );
  console.log(
    `${flows.toLocaleString('en-US')} flows over ${hours} h inserted in ${Math.round(flowMs)} ms ` +
      `(${Math.round((flows * 1000) / flowMs).toLocaleString('en-US')} rows/s through the rollup views), ` +
      `${(deny!.share * 100).toFixed(1)}% denied or dropped; ${samples.toLocaleString('en-US')} interface samples ` +
      `in ${Math.round(performance.now() - started)} ms`,
  );
  console.log(`tables: ${sizes.map((s) => `${s.t} ${s.n} rows in ${s.parts} parts`).join(', ')}`);
}
