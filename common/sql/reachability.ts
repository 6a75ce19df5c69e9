import { Params, type BuiltQuery } from './params.js';
import type { TimeRange } from './time-range.js';

/**
 * The verdicts of the flows from one address to another: per exporting vRouter, direction, action,
 * drop reason and deciding rules, how many records and packets (scaled by sampling) and the newest
 * record's time. Read from the raw table: the rollups drop the rule uuids.
 */
/** One end of the flows: its address, and its VN when known (VNs may reuse addresses). */
export interface FlowEnd {
  address: string;
  vn?: string;
}

export function verdictGroupsQuery(
  source: FlowEnd,
  destination: FlowEnd,
  range: TimeRange,
  limit: number,
): BuiltQuery {
  const params = new Params();
  const at = (us: number) => `fromUnixTimestamp64Micro(${params.add('Int64', us)}, 'UTC')`;
  const vns = [
    source.vn ? ` AND source_vn = ${params.add('String', source.vn)}` : '',
    destination.vn ? ` AND dest_vn = ${params.add('String', destination.vn)}` : '',
  ];
  return {
    sql: `SELECT vrouter, toString(direction) AS direction, toString(action) AS action, drop_reason AS dropReason,
        sg_rule_uuid AS sgRuleUuid, nw_ace_uuid AS nwAceUuid, count() AS records,
        sum(diff_packets * sampling) AS packets, toUnixTimestamp64Micro(max(time)) AS lastUs
      FROM flows
      WHERE time >= ${at(range.fromUs)} AND time < ${at(range.toUs)}
        AND source_ip = toIPv6(${params.add('String', source.address)})
        AND dest_ip = toIPv6(${params.add('String', destination.address)})${vns.join('')}
      GROUP BY vrouter, direction, action, dropReason, sgRuleUuid, nwAceUuid
      ORDER BY records DESC, vrouter LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}
