import type { ProtobufInsert } from '../warehouse/warehouse.js';
import { recordTime, stampColumns, stampStructure, uuid } from './row-columns.js';

const copied = [
  'vm_name',
  'virtual_network',
  'vrouter',
  'in_bytes',
  'out_bytes',
  'in_packets',
  'out_packets',
];
copied.push('drops', 'active_flows');

/** How an InterfaceStatsRow becomes a row of `if_stats` (the rollups follow by views). */
export const interfaceStatsRowsInsert: ProtobufInsert = {
  table: 'if_stats',
  schema: 'records.proto:InterfaceStatsRow',
  structure: [
    'record_vmi_uuid String',
    'record_vm_name String',
    'record_virtual_network String',
    'record_vrouter String',
    'record_in_bytes UInt64',
    'record_out_bytes UInt64',
    'record_in_packets UInt64',
    'record_out_packets UInt64',
    'record_drops Map(String, UInt64)',
    'record_active_flows UInt32',
    'record_timestamp UInt64',
    ...stampStructure,
  ].join(', '),
  columns: [
    ['time', recordTime('record_timestamp')],
    ...stampColumns,
    ['vmi_uuid', uuid('record_vmi_uuid')],
    ...copied.map((c): [string, string] => [c, `record_${c}`]),
  ],
};
