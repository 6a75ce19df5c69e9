import { invalid } from '../errors.js';
import type { TimeRange } from './time-range.js';
import { interfaceStatsCatalog } from '../schema/catalog/index.js';
import { coarsestTable, tableFamily, timeCondition, type TimeTable } from './rollup-tables.js';
import { Params, type TableQuery } from './params.js';

/**
 * Interface counters (if_stats and its rollups) read as rates, as Prometheus' rate() does: every
 * level holds cumulative counters, so a rate comes from consecutive samples of one interface at
 * whatever resolution the table keeps.
 */
export type InterfaceTable = TimeTable;

const { raw, rollups } = tableFamily(interfaceStatsCatalog);

/** The coarsest interface table for the range (and step): flows' rule, on the if_stats levels. */
export const chooseInterfaceTable = (range: TimeRange, stepSeconds?: number): InterfaceTable =>
  coarsestTable(raw, rollups, range, stepSeconds);

/** What a series may be grouped by, and the column of the (deduplicated) sample each reads. */
export const interfaceDimensions = {
  VMI: 'toString(vmi_uuid)',
  VM: 'vm',
  VN: 'vn',
  VROUTER: 'vr',
} as const;

export type InterfaceDimension = keyof typeof interfaceDimensions;

/** One filter: each field a list (OR inside a field), fields AND together. */
export interface InterfaceFilterInput {
  vmi?: readonly string[] | null;
  vm?: readonly string[] | null;
  vn?: readonly string[] | null;
  vrouter?: readonly string[] | null;
}

export interface InterfaceSelection {
  range: TimeRange;
  filter?: InterfaceFilterInput | null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const filterColumns = {
  vmi: 'vmi_uuid',
  vm: 'vm_name',
  vn: 'virtual_network',
  vrouter: 'vrouter',
} as const satisfies Record<keyof InterfaceFilterInput, string>;

/** The filter as a condition on a table's rows; values go in parameters only. */
export function interfaceWhere(filter: InterfaceFilterInput | null | undefined, params: Params): string {
  const parts: string[] = [];
  for (const name of Object.keys(filterColumns) as (keyof InterfaceFilterInput)[]) {
    const values = filter?.[name];
    if (!values || values.length === 0) continue;
    if (name === 'vmi') {
      const bad = values.find((v) => !uuidPattern.test(v));
      if (bad !== undefined) throw invalid(`filter.vmi: "${bad}" is not a UUID`);
      const uuids = values.map((v) => v.toLowerCase());
      parts.push(`vmi_uuid IN ${params.add('Array(UUID)', uuids)}`);
    } else {
      parts.push(`${filterColumns[name]} IN ${params.add('Array(String)', values)}`);
    }
  }
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

/**
 * How far back a rate may reach for the sample before another: two steps (or rollup buckets), at
 * least ten minutes. Consecutive samples further apart give no rate (the interface was gone, as a
 * Prometheus series goes stale); the range is read from this far before its start so its first
 * bucket has a rate too.
 */
export function lookbackSeconds(table: InterfaceTable, stepSeconds = 0): number {
  return Math.max(2 * Math.max(stepSeconds, table.bucketSeconds), 600);
}

const sampleColumns: [column: string, alias: string][] = [
  ['vm_name', 'vm'],
  ['virtual_network', 'vn'],
  ['vrouter', 'vr'],
  ['in_bytes', 'ib'],
  ['out_bytes', 'ob'],
  ['in_packets', 'ipk'],
  ['out_packets', 'opk'],
  ['drops', 'dr'],
  ['active_flows', 'af'],
];

/**
 * The samples in the range widened by the lookback, as (vmi_uuid, time, st = when sampled, vm, vn,
 * vr, ib, ob, ipk, opk, dr, af): raw, one per (interface, time), the newest received; a rollup, its
 * buckets' first, peak and last samples (common/schema/rollups.ts), each the one its version keeps. A
 * rollup may hold several rows for one edge until it merges (ReplacingMergeTree(version)), so this
 * never leaves it to merges or FINAL. LIMIT 1 BY follows the tables' order: about ten times faster
 * here than GROUP BY with argMax, which is slow on the drops Map. An edge that is the same sample as
 * another makes a pair 0 s apart, which `pairs` leaves out.
 */
function samples(table: InterfaceTable, selection: InterfaceSelection, lookback: number, params: Params) {
  const widened = { fromUs: selection.range.fromUs - lookback * 1e6, toUs: selection.range.toUs };
  const where = `${timeCondition(table, widened, params)} AND ${interfaceWhere(selection.filter, params)}`;
  const [sampleTime, key, kept] =
    table.bucketSeconds === 0
      ? ['time', 'vmi_uuid, time', 'received_at']
      : ['sample_time', 'vmi_uuid, time, edge', 'version'];
  const columns = sampleColumns.map(([column, alias]) => `${column} AS ${alias}`).join(', ');
  return `SELECT vmi_uuid, time, ${sampleTime} AS st, ${columns}
    FROM ${table.name} WHERE ${where}
    ORDER BY ${key}, ${kept} DESC LIMIT 1 BY ${key}`;
}

/** What a pair takes of each sample, in the order of the tuples the samples are collected as. */
const pairFields = ['time', 'st', 'k', 'ib', 'ob', 'ipk', 'opk', 'dr', 'af'] as const;

/** The field `name` of `sample`, a tuple of pairFields. */
const of = (sample: string, name: (typeof pairFields)[number]): string =>
  `${sample}.${pairFields.indexOf(name) + 1}`;

/**
 * One row per pair of consecutive samples of an interface whose later sample falls in the range,
 * with the increase of every counter: cur − prev, or cur after a reset. A reset is the interface
 * (or its vRouter) restarting, which restarts all its counters: bytes, packets or the drops in all
 * going down mark one. A drop reason that alone went down counts from zero too, so no increase is
 * ever negative. `key` is the group of the later sample; `bucket` the point it counts in (0 without a step).
 *
 * An interface's samples are collected in time order and paired by ARRAY JOIN of the list without
 * its first and without its last: about twice as fast here as lagInFrame over a window, which copies
 * the previous row's drops Map row by row (720k raw samples: 370 against 720–990 ms).
 */
function pairs(
  table: InterfaceTable,
  selection: InterfaceSelection,
  key: string,
  params: Params,
  stepSeconds?: number,
): string {
  const lookback = lookbackSeconds(table, stepSeconds);
  const step = stepSeconds === undefined ? undefined : params.add('UInt32', stepSeconds);
  const bucket =
    step === undefined ? '0 AS bucket,' : `intDiv(toUnixTimestamp(time), ${step}) * ${step} AS bucket,`;
  const counters = ['ib', 'ob', 'ipk', 'opk'] as const;
  const [dr, previousDr] = [of('cur', 'dr'), of('prev', 'dr')];
  const reset = [
    ...counters.map((c) => `${of('cur', c)} < ${of('prev', c)}`),
    // Per reason, arrayExists over the keys would cost about as much as all the rest of the query.
    `arraySum(mapValues(${dr})) < arraySum(mapValues(${previousDr}))`,
  ].join(' OR ');
  const increases = counters.map((c) => `${of('cur', c)} - if(reset, 0, ${of('prev', c)}) AS d_${c}`);
  const sample = pairFields.map((name) => (name === 'k' ? key : name)).join(', ');
  return `SELECT vmi_uuid, ${of('cur', 'time')} AS time, ${of('cur', 'st')} AS st, ${of('cur', 'k')} AS k,
      ${of('cur', 'af')} AS af, ${bucket}
      toUnixTimestamp64Micro(st) - toUnixTimestamp64Micro(${of('prev', 'st')}) AS dt_us,
      ${reset} AS reset, ${increases.join(', ')},
      mapApply((r, n) -> (r, n - if(reset OR n < ${previousDr}[r], 0, ${previousDr}[r])), ${dr}) AS d_dr
    FROM (
      SELECT vmi_uuid, arraySort(s -> ${of('s', 'st')}, groupArray((${sample}))) AS samples
      FROM (${samples(table, selection, lookback, params)})
      GROUP BY vmi_uuid
    )
    ARRAY JOIN arrayPopFront(samples) AS cur, arrayPopBack(samples) AS prev
    WHERE ${timeCondition(table, selection.range, params)}
      AND dt_us > 0 AND dt_us <= ${params.add('Int64', lookback * 1e6)}`;
}

/**
 * Per interface and point: its group (`key`, of its latest sample), the seconds its pairs span and
 * the increases of its counters (`inc_dr`: reason → drops), its active flows as last sampled. A rate
 * is taken per interface first (its increases over the time its pairs span), then summed over a
 * group's interfaces.
 */
function perInterface(
  table: InterfaceTable,
  selection: InterfaceSelection,
  by: InterfaceDimension,
  params: Params,
  stepSeconds?: number,
): string {
  return `SELECT bucket, argMax(k, st) AS key, sum(dt_us) / 1e6 AS seconds,
      sum(d_ib) AS inc_ib, sum(d_ob) AS inc_ob, sum(d_ipk) AS inc_ipk, sum(d_opk) AS inc_opk,
      sumMap(d_dr) AS inc_dr, argMax(af, st) AS flows
    FROM (${pairs(table, selection, interfaceDimensions[by], params, stepSeconds)})
    GROUP BY vmi_uuid, bucket`;
}

/**
 * Rates per group and point for the top groups by bytes (in + out) over the range, each per
 * interface first (perInterface). Rows: t, key, inBps, outBps, inPps, outPps, drops (reason → per
 * second), activeFlows (the last sample's, summed), ordered by rank then time.
 */
export function interfaceSeriesQuery(
  selection: InterfaceSelection,
  by: InterfaceDimension,
  top: number,
  stepSeconds: number,
  table = chooseInterfaceTable(selection.range, stepSeconds),
): TableQuery<InterfaceTable> {
  const params = new Params();
  const perGroup = `SELECT bucket, key, sum(inc_ib / seconds) AS inBps, sum(inc_ob / seconds) AS outBps,
      sum(inc_ipk / seconds) AS inPps, sum(inc_opk / seconds) AS outPps,
      sumMap(mapApply((r, n) -> (r, n / seconds), inc_dr)) AS drops, sum(flows) AS activeFlows,
      sum(inc_ib + inc_ob) AS bytes
    FROM (${perInterface(table, selection, by, params, stepSeconds)})
    GROUP BY key, bucket`;
  const sql = `SELECT bucket AS t, key, inBps, outBps, inPps, outPps, drops, activeFlows
    FROM (
      SELECT *, dense_rank() OVER (ORDER BY total DESC, key) AS rank
      FROM (SELECT *, sum(bytes) OVER (PARTITION BY key) AS total FROM (${perGroup}))
    )
    WHERE rank <= ${params.add('UInt32', top)}
    ORDER BY rank, t`;
  return { sql, params: params.values, table };
}

/**
 * The increases over the range of the interfaces selected: one row, counters as strings. Any level
 * answers what the raw samples do over the same buckets (`table`: the one the range chooses).
 */
export function interfaceTotalsQuery(
  selection: InterfaceSelection,
  table = chooseInterfaceTable(selection.range),
): TableQuery<InterfaceTable> {
  const params = new Params();
  const sql = `SELECT sum(d_ib) AS inBytes, sum(d_ob) AS outBytes, sum(d_ipk) AS inPackets,
      sum(d_opk) AS outPackets, sumMap(d_dr) AS drops
    FROM (${pairs(table, selection, "''", params)})`;
  return { sql, params: params.values, table };
}

/** What interfaceGroupsQuery gives per group: counters increased over the range, and per second. */
export const interfaceCounters = ['inBytes', 'outBytes', 'inPackets', 'outPackets', 'drops'] as const;
export type InterfaceCounter = (typeof interfaceCounters)[number];

/**
 * Every group over the whole range (at most `limit`, by key): for each counter of interfaceCounters
 * its increase (`<counter>`) and its rate (`<counter>PerSec`, summed per interface as the series
 * are), drops summed over their reasons. Increases as strings, rates as numbers.
 */
export function interfaceGroupsQuery(
  selection: InterfaceSelection,
  by: InterfaceDimension,
  limit: number,
): TableQuery<InterfaceTable> {
  const params = new Params();
  const table = chooseInterfaceTable(selection.range);
  const increases: Record<InterfaceCounter, string> = {
    inBytes: 'inc_ib',
    outBytes: 'inc_ob',
    inPackets: 'inc_ipk',
    outPackets: 'inc_opk',
    drops: 'arraySum(mapValues(inc_dr))',
  };
  const columns = Object.entries(increases).map(
    ([name, increase]) => `sum(${increase}) AS ${name}, sum(${increase} / seconds) AS ${name}PerSec`,
  );
  const sql = `SELECT key, ${columns.join(', ')}
    FROM (${perInterface(table, selection, by, params)})
    GROUP BY key ORDER BY key LIMIT ${params.add('UInt32', limit)}`;
  return { sql, params: params.values, table };
}
