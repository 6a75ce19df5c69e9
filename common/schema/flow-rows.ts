import { ip, microseconds, recordRowsInsert, uuid } from './row-columns.js';

/**
 * The workload an address of a virtual network belongs to, when the sender did not say: from the VMI
 * UVEs through the workload_by_ip dictionary (migrations.ts). An unknown address keeps '' and stays
 * queryable by IP.
 */
type End = 'source' | 'dest';
const key = (end: End): string => `tuple(record_${end}_vn, ${ip(`record_${end}_ip`)})`;
const identity = (given: string, end: End, attribute: 'workload' | 'namespace'): string =>
  `if(${given} != '', ${given}, dictGetOrDefault('workload_by_ip', '${attribute}', ${key(end)}, ''))`;
const labels = (end: End): string => `dictGetOrDefault('workload_by_ip', 'labels', ${key(end)}, map())`;

const recordFields: [field: string, type: string, select: (column: string) => string][] = [
  ['flow_uuid', 'String', uuid],
  ['reverse_uuid', 'String', uuid],
  ['vrouter', 'String', (c) => c],
  ['vrouter_ip', 'String', ip],
  ['other_vrouter_ip', 'String', ip],
  ['direction', 'Int8', (c) => c],
  ['source_vn', 'String', (c) => c],
  ['dest_vn', 'String', (c) => c],
  ['source_ip', 'String', ip],
  ['dest_ip', 'String', ip],
  ['protocol', 'UInt8', (c) => c],
  ['sport', 'UInt16', (c) => c],
  ['dport', 'UInt16', (c) => c],
  ['action', 'Int8', (c) => c],
  ['drop_reason', 'String', (c) => c],
  ['sg_rule_uuid', 'String', (c) => c],
  ['nw_ace_uuid', 'String', (c) => c],
  ['vmi_uuid', 'String', uuid],
  ['setup_time', 'UInt64', microseconds],
  ['teardown_time', 'UInt64', microseconds],
  ['bytes', 'UInt64', (c) => c],
  ['packets', 'UInt64', (c) => c],
  ['diff_bytes', 'UInt64', (c) => c],
  ['diff_packets', 'UInt64', (c) => c],
  ['tcp_flags', 'UInt16', (c) => c],
  ['underlay_proto', 'String', (c) => c],
  ['underlay_source_port', 'UInt16', (c) => c],
  ['sampling', 'UInt32', (c) => `greatest(${c}, 1)`],
  ['source_workload', 'String', (c) => identity(c, 'source', 'workload')],
  ['dest_workload', 'String', (c) => identity(c, 'dest', 'workload')],
  ['source_namespace', 'String', (c) => identity(c, 'source', 'namespace')],
  ['dest_namespace', 'String', (c) => identity(c, 'dest', 'namespace')],
];

/** How a FlowRow becomes a row of `flows`, enriched with workload identity on both ends. */
export const flowRowsInsert = recordRowsInsert(
  'flows',
  'FlowRow',
  recordFields.map(([field, type]) => `record_${field} ${type}`),
  [
    ...recordFields.map(([field, , select]) => [field, select(`record_${field}`)] as const),
    ['source_labels', labels('source')],
    ['dest_labels', labels('dest')],
  ],
);
