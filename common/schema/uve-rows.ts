import { recordRowsInsert } from './row-columns.js';

/** How a UveRow becomes a row of `uve_updates` (uve_latest and workloads follow by views). */
export const uveRowsInsert = recordRowsInsert(
  'uve_updates',
  'UveRow',
  [
    'record_type String',
    'record_name String',
    'record_struct_type String',
    'record_attributes_json String',
    'record_aggregation Map(String, Tuple(agg Int8, list_key String))',
    'record_deleted UInt8',
  ],
  [
    ['type', 'record_type'],
    ['name', 'record_name'],
    ['struct_type', 'record_struct_type'],
    ['attributes', 'record_attributes_json'],
    ['aggregation', 'record_aggregation'],
    ['deleted', 'record_deleted'],
  ],
);
