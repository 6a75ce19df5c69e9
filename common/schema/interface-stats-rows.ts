import { recordRowsInsert, uuid } from './row-columns.js';

/** Fields stored as they are read, with their types in InterfaceStatsRow. */
const copied: [field: string, type: string][] = [
  ['vm_name', 'String'],
  ['virtual_network', 'String'],
  ['vrouter', 'String'],
  ['in_bytes', 'UInt64'],
  ['out_bytes', 'UInt64'],
  ['in_packets', 'UInt64'],
  ['out_packets', 'UInt64'],
  ['drops', 'Map(String, UInt64)'],
  ['active_flows', 'UInt32'],
];

/** How an InterfaceStatsRow becomes a row of `if_stats` (the rollups follow by views). */
export const interfaceStatsRowsInsert = recordRowsInsert(
  'if_stats',
  'InterfaceStatsRow',
  ['record_vmi_uuid String', ...copied.map(([field, type]) => `record_${field} ${type}`)],
  [
    ['vmi_uuid', uuid('record_vmi_uuid')],
    ...copied.map(([field]): [string, string] => [field, `record_${field}`]),
  ],
);
