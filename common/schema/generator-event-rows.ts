import type { ProtobufInsert } from '../warehouse/warehouse.js';
import { microseconds, stampColumns, stampStructure } from './row-columns.js';

/** How a GeneratorEventRow becomes a row of `generator_events` (stamped with the event's generator). */
export const generatorEventRowsInsert: ProtobufInsert = {
  table: 'generator_events',
  schema: 'records.proto:GeneratorEventRow',
  structure: [
    'record_event Int8',
    'record_epoch UInt64',
    'record_peer String',
    'record_time UInt64',
    ...stampStructure,
  ].join(', '),
  columns: [
    ['time', microseconds('record_time')],
    ...stampColumns,
    ['event', 'record_event'],
    ['epoch', 'record_epoch'],
    ['peer', 'record_peer'],
  ],
};
