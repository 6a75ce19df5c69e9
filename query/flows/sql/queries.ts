import type { TimeRange } from '../../shared/time.js';
import { dimensions, type DimensionName } from './dimensions.js';
import { flowWhere, type FlowFilterInput } from './filter.js';
import { chooseTable, metricColumns, type FlowTable } from './tables.js';
import { timeCondition } from '../../shared/rollup-tables.js';
import { afterPosition } from '../../shared/paging.js';
import { Params, type TableQuery } from '../../shared/params.js';

export type FlowMetric = 'records' | 'bytes' | 'packets';

export interface FlowSelection {
  range: TimeRange;
  filter?: readonly FlowFilterInput[] | null;
  exclude?: readonly FlowFilterInput[] | null;
}

/** Picks the table and builds the WHERE clause shared by every aggregate. */
function scope(selection: FlowSelection, by: readonly DimensionName[], stepSeconds?: number) {
  const params = new Params();
  const where = flowWhere(selection.filter, selection.exclude, params);
  const table = chooseTable(selection.range, [...where.uses, ...by], stepSeconds);
  const conditions = `${timeCondition(table, selection.range, params)} AND ${where.sql}`;
  return { params, table, conditions };
}

export function totalsQuery(selection: FlowSelection): TableQuery<FlowTable> {
  const { params, table, conditions } = scope(selection, []);
  const sql = `SELECT ${metricColumns(table)} FROM ${table.name} WHERE ${conditions}`;
  return { sql, params: params.values, table };
}

const keyColumns = (by: readonly DimensionName[]): string[] => by.map((d) => dimensions[d].output);

/** Top groups by one metric; each row has k0..kN (the group's values) and the three metrics. */
export function groupsQuery(
  selection: FlowSelection,
  by: readonly DimensionName[],
  metric: FlowMetric,
  top: number,
): TableQuery<FlowTable> {
  const { params, table, conditions } = scope(selection, by);
  const keys = keyColumns(by).map((k, i) => `${k} AS k${i}`);
  const groupBy = by.map((_, i) => `k${i}`).join(', ');
  const sql = `SELECT ${[...keys, metricColumns(table)].join(', ')} FROM ${table.name} WHERE ${conditions}
    ${by.length ? `GROUP BY ${groupBy}` : ''} ORDER BY ${metric} DESC ${by.length ? `, ${groupBy}` : ''}
    LIMIT ${params.add('UInt32', top)}`;
  return { sql, params: params.values, table };
}

/**
 * A time series per group: rows (t, k0..kN, value) for the top groups only. The step is given in
 * seconds; buckets start at multiples of the step since the epoch.
 */
export function seriesQuery(
  selection: FlowSelection,
  by: readonly DimensionName[],
  metric: FlowMetric,
  top: number,
  stepSeconds: number,
): TableQuery<FlowTable> {
  const { params, table, conditions } = scope(selection, by, stepSeconds);
  const keys = keyColumns(by);
  const step = params.add('UInt32', stepSeconds);
  const topGroups = by.length
    ? `AND (${keys.join(', ')}) IN (SELECT ${keys.join(', ')} FROM ${table.name} WHERE ${conditions}
        GROUP BY ${keys.join(', ')} ORDER BY ${metricExpression(table, metric)} DESC LIMIT ${params.add('UInt32', top)})`
    : '';
  const sql = `SELECT toUnixTimestamp(toStartOfInterval(time, toIntervalSecond(${step}))) AS t,
      ${keys.map((k, i) => `${k} AS k${i}, `).join('')}${metricExpression(table, metric)} AS value
    FROM ${table.name} WHERE ${conditions} ${topGroups}
    GROUP BY t${by.map((_, i) => `, k${i}`).join('')} ORDER BY t`;
  return { sql, params: params.values, table };
}

function metricExpression(table: FlowTable, metric: FlowMetric): string {
  if (table.bucketSeconds !== 0) return `sum(${metric})`;
  return { records: 'count()', bytes: 'sum(diff_bytes * sampling)', packets: 'sum(diff_packets * sampling)' }[
    metric
  ];
}

/** The position of a record in the newest-first order; unique, so pages neither skip nor repeat. */
export interface FlowCursor {
  time: string;
  generator: string;
  epoch: string;
  seq: string;
  uuid: string;
}

// Aliases never reuse a column's name: ClickHouse would let WHERE and ORDER BY see the alias.
const flowColumns = `time, toString(received_at) AS receivedAt, generator,
  toString(batch_epoch) AS epoch, toString(batch_seq) AS seq, toString(flow_uuid) AS flowUuid,
  toString(reverse_uuid) AS reverseUuid, vrouter, ${dimensions.VROUTER_IP.output} AS vrouterIp,
  ${dimensions.OTHER_VROUTER_IP.output} AS otherVrouterIp, direction, action, source_vn AS sourceVn, dest_vn AS destVn,
  ${dimensions.SOURCE_IP.output} AS sourceIp, ${dimensions.DEST_IP.output} AS destIp, protocol,
  sport AS sourcePort, dport AS destPort, drop_reason AS dropReason, sg_rule_uuid AS sgRuleUuid,
  nw_ace_uuid AS nwAceUuid, toString(vmi_uuid) AS vmiUuid, toString(setup_time) AS setupTime,
  toString(teardown_time) AS teardownTime, bytes, packets, diff_bytes AS diffBytes,
  diff_packets AS diffPackets, tcp_flags AS tcpFlags, underlay_proto AS underlayProto,
  underlay_source_port AS underlaySourcePort, sampling, source_workload AS sourceWorkload,
  dest_workload AS destWorkload, source_namespace AS sourceNamespace, dest_namespace AS destNamespace,
  source_labels AS sourceLabels, dest_labels AS destLabels`;

/** The newest-first order of records, a unique key; each column with the type its cursor value binds as. */
const order = [
  ['time', "DateTime64(6, 'UTC')"],
  ['generator', 'String'],
  ['batch_epoch', 'UInt64'],
  ['batch_seq', 'UInt64'],
  ['flow_uuid', 'UUID'],
] as const;

/** `limit` records, newest first, starting after `after`: a page and the row that tells if another follows. */
export function recordsQuery(
  selection: FlowSelection,
  limit: number,
  after?: FlowCursor,
): TableQuery<FlowTable> {
  const params = new Params();
  const where = flowWhere(selection.filter, selection.exclude, params);
  const table: FlowTable = { name: 'flows', bucketSeconds: 0 };
  let conditions = `${timeCondition(table, selection.range, params)} AND ${where.sql}`;
  if (after) {
    const position = [after.time, after.generator, after.epoch, after.seq, after.uuid] as const;
    conditions += ` AND ${afterPosition(order, position, 'descending', params)}`;
  }
  const sql = `SELECT ${flowColumns} FROM flows WHERE ${conditions}
    ORDER BY ${order.map(([c]) => `${c} DESC`).join(', ')} LIMIT ${params.add('UInt32', limit)}`;
  return { sql, params: params.values, table };
}
