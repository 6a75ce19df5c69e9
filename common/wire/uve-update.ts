import { AggType, AttributeAggregationSchema, UveUpdateSchema, wireTag } from '../proto.js';
import { WireReader } from './reader.js';

/**
 * UveUpdate records (records.proto) read on the wire, for those that read every UVE record the
 * collector accepted (the alarm engine, the fabric metrics): protobuf-es's reflective decoder was
 * their largest share of the pipeline's JavaScript at 1,600 UVE changes/s (bench/alarms.ts). What
 * they read of a record, no more; unknown fields are skipped and a field given twice keeps its last
 * value (a map entry its last per key), as protobuf's decoders do.
 */

/** A UVE record's identity: which UVE, which struct of it. */
export interface UveIdentity {
  type: string;
  name: string;
  structType: string;
}

/** A UVE record as its readers use it (records.proto UveUpdate, but its timestamp). */
export interface UveRecord extends UveIdentity {
  attributesJson: string;
  aggregation: Record<string, { agg: AggType; listKey: string }>;
  deleted: boolean;
}

const UVE = {
  type: wireTag(UveUpdateSchema.field.type),
  name: wireTag(UveUpdateSchema.field.name),
  structType: wireTag(UveUpdateSchema.field.structType),
  attributesJson: wireTag(UveUpdateSchema.field.attributesJson),
  aggregation: wireTag(UveUpdateSchema.field.aggregation),
  deleted: wireTag(UveUpdateSchema.field.deleted),
};
/** A map entry's key and value are fields 1 and 2 of the entry (protobuf's encoding of maps). */
const ENTRY = { key: (1 << 3) | 2, value: (2 << 3) | 2 };
const AGGREGATION = {
  agg: wireTag(AttributeAggregationSchema.field.agg),
  listKey: wireTag(AttributeAggregationSchema.field.listKey),
};

/** The record at buf[start, end)'s type, name and struct, nothing else decoded. */
export function uveIdentityOf(buf: Buffer, start: number, end: number): UveIdentity {
  const reader = new WireReader(buf, start, end);
  const identity: UveIdentity = { type: '', name: '', structType: '' };
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === UVE.type) identity.type = reader.string();
    else if (tag === UVE.name) identity.name = reader.string();
    else if (tag === UVE.structType) identity.structType = reader.string();
    else reader.skip(tag & 7);
  }
  return identity;
}

/** The record at buf[start, end). */
export function readUveRecord(buf: Buffer, start: number, end: number): UveRecord {
  const reader = new WireReader(buf, start, end);
  const record: UveRecord = {
    type: '',
    name: '',
    structType: '',
    attributesJson: '',
    aggregation: {},
    deleted: false,
  };
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === UVE.type) record.type = reader.string();
    else if (tag === UVE.name) record.name = reader.string();
    else if (tag === UVE.structType) record.structType = reader.string();
    else if (tag === UVE.attributesJson) record.attributesJson = reader.string();
    else if (tag === UVE.deleted) record.deleted = reader.varint() !== 0;
    else if (tag === UVE.aggregation) readAggregationEntry(reader, record.aggregation);
    else reader.skip(tag & 7);
  }
  return record;
}

function readAggregationEntry(outer: WireReader, into: UveRecord['aggregation']): void {
  const [start, end] = outer.lengthDelimited();
  const reader = new WireReader(outer.buf, start, end);
  let attribute = '';
  const aggregation = { agg: AggType.AGG_NONE, listKey: '' };
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === ENTRY.key) attribute = reader.string();
    else if (tag === ENTRY.value) readAggregation(reader, aggregation);
    else reader.skip(tag & 7);
  }
  // Defined, not assigned: an attribute named __proto__ is an attribute, not the object's prototype.
  Object.defineProperty(into, attribute, {
    value: aggregation,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function readAggregation(outer: WireReader, into: { agg: AggType; listKey: string }): void {
  const [start, end] = outer.lengthDelimited();
  const reader = new WireReader(outer.buf, start, end);
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === AGGREGATION.agg) into.agg = reader.varint() as AggType;
    else if (tag === AGGREGATION.listKey) into.listKey = reader.string();
    else reader.skip(tag & 7);
  }
}
