import { fileURLToPath } from 'node:url';
import {
  create,
  createRegistry,
  fromJson,
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type DescMethod,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { BusBatchSchema, file_fabricscope_v1_bus } from '../proto/gen/fabricscope/v1/bus_pb.js';
import { BatchSchema, file_fabricscope_v1_collector } from '../proto/gen/fabricscope/v1/collector_pb.js';
import { file_fabricscope_v1_records } from '../proto/gen/fabricscope/v1/records_pb.js';
import { WireType } from './wire/reader.js';

/**
 * The contract (proto/fabricscope/v1) for TypeScript: messages, enums, descriptors and the Collector
 * service as protobuf-es generates them into proto/gen/ (npm run generate:proto), plus what the code
 * derives from them. 64-bit fields are bigint in the generated types; the code keeps JS numbers
 * (µs timestamps, epochs and sequence numbers stay far below 2^53) and converts where it builds or
 * reads a message.
 */
export * from '../proto/gen/fabricscope/v1/records_pb.js';
export * from '../proto/gen/fabricscope/v1/collector_pb.js';
export * from '../proto/gen/fabricscope/v1/bus_pb.js';

/** The folder holding proto/fabricscope/v1 (the code runs from dist/, one level below the root). */
export const protoRoot = fileURLToPath(new URL('../../proto/', import.meta.url));

/** Absolute path of a contract file, e.g. for ClickHouse's format_schema. */
export const protoFile = (name: string): string => `${protoRoot}fabricscope/v1/${name}`;

/**
 * A generated message's fields as the code holds them: without protobuf-es's $typeName and
 * $unknown, and 64-bit values as JS numbers.
 */
export type Fields<M> = {
  [K in Exclude<keyof M, '$typeName' | '$unknown'>]: M[K] extends bigint ? number : M[K];
};

/** The path a gRPC method is called by, e.g. /fabricscope.v1.Collector/Publish. */
export const methodPath = (method: DescMethod): string => `/${method.parent.typeName}/${method.name}`;

/** A message's bytes, as a Buffer. */
export function encode<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>): Buffer {
  const bytes = toBinary(schema, create(schema, message));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A message from a plain object spelled as the .proto files and the warehouse columns spell it
 * (field names in snake_case, a oneof member as a plain field, numbers for enums and 64-bit fields,
 * Buffers for bytes): how tests, benches and tools write records by hand. It goes through the
 * protobuf JSON mapping, which takes the .proto names; an unknown field name throws.
 */
export function fromFields<Desc extends DescMessage>(schema: Desc, fields: object): MessageShape<Desc> {
  return fromJson(schema, jsonOf(fields));
}

/** The bytes of a message given as fromFields takes it. */
export const encodeFields = (schema: DescMessage, fields: object): Buffer =>
  encode(schema, fromFields(schema, fields));

function jsonOf(value: unknown): JsonValue {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonOf);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value as JsonValue;
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = jsonOf(item);
  return out;
}

/** The tag a field is written with on the wire: its number and the wire type of its kind. */
export const wireTag = (field: DescField): number => (field.number << 3) | wireTypeOf(field);

function wireTypeOf(field: DescField): number {
  switch (field.fieldKind) {
    case 'message':
    case 'map':
      return WireType.LEN;
    case 'enum':
      return WireType.VARINT;
    case 'list':
      return field.listKind === 'message' || field.packed
        ? WireType.LEN
        : field.listKind === 'enum'
          ? WireType.VARINT
          : scalarWireType(field.scalar);
    case 'scalar':
      return scalarWireType(field.scalar);
  }
}

function scalarWireType(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LEN;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.I32;
    default:
      return WireType.VARINT;
  }
}

interface PayloadKinds<K extends string> {
  /** Field numbers by kind. */
  numbers: Record<K, number>;
  /** The kind a field number carries, if it is one. */
  kindOf(field: number): K | undefined;
  /** The *Batch message of a kind (UveBatch, FlowBatch, ...). */
  schemaOf(kind: K): DescMessage;
}

/**
 * A payload oneof as record kinds, named by the members' .proto names (as the bus topics and the
 * warehouse routes name them). The list must name every member: checked once, when the module loads.
 */
function payloadKinds<K extends string>(members: Record<K, DescField>): PayloadKinds<K> {
  const fields = Object.entries<DescField>(members);
  const oneof = fields[0]?.[1].oneof;
  for (const [kind, field] of fields) {
    if (field.name !== kind || !oneof || field.oneof !== oneof)
      throw new Error(`${field.toString()} is not the member ${kind} of ${String(oneof)}`);
  }
  if (fields.length !== oneof?.fields.length) throw new Error(`${String(oneof)}: members missing here`);
  const byNumber = new Map(fields.map(([kind, field]) => [field.number, kind as K]));
  return {
    numbers: Object.fromEntries(fields.map(([kind, field]) => [kind, field.number])) as Record<K, number>,
    kindOf: (field) => byNumber.get(field),
    schemaOf: (kind) => members[kind].message!,
  };
}

const batchPayload = payloadKinds({
  uves: BatchSchema.field.uves,
  flows: BatchSchema.field.flows,
  routes: BatchSchema.field.routes,
  interface_stats: BatchSchema.field.interfaceStats,
});

/** Batch payload field numbers by record kind. */
export const PayloadField = batchPayload.numbers;
export type PayloadKind = keyof typeof PayloadField;

/** The payload kind a field number of Batch carries, if it is one. */
export const payloadKindOf = batchPayload.kindOf;

/** The fields of a message that bear the names of given kinds. */
const fieldsNamed = <K extends string>(
  schema: DescMessage,
  kinds: Record<K, unknown>,
): Record<K, DescField> =>
  Object.fromEntries(
    Object.keys(kinds).map((kind) => {
      const field = schema.fields.find((f) => f.name === kind);
      if (!field) throw new Error(`${schema.typeName} has no field ${kind}`);
      return [kind, field];
    }),
  ) as Record<K, DescField>;

/** BusBatch carries the payloads of Batch, under the same names, and what the collector itself reports. */
const busPayload = payloadKinds({
  ...fieldsNamed(BusBatchSchema, PayloadField),
  generator_events: BusBatchSchema.field.generatorEvents,
});

/** BusBatch payload field numbers by kind. */
export const BusPayloadField = busPayload.numbers;
export type BusPayloadKind = keyof typeof BusPayloadField;

/** The payload kind a field number of BusBatch carries, if it is one. */
export const busPayloadKindOf = busPayload.kindOf;

/** The *Batch message a bus payload kind is (UveBatch, FlowBatch, ..., GeneratorEventBatch). */
export const busPayloadSchema = busPayload.schemaOf;

/** What the contract says of one field of a message: for checks derived from the catalog. */
export interface ProtoField {
  number: number;
  /** The scalar type (`uint64`, `string`, …), or the message or enum name. */
  type: string;
  repeated: boolean;
  map: boolean;
  message: boolean;
  enum: boolean;
}

const contract = createRegistry(
  file_fabricscope_v1_records,
  file_fabricscope_v1_collector,
  file_fabricscope_v1_bus,
);

/** A fabricscope.v1 message by name (FlowRecord, UveRow, ...); throws for a name the contract lacks. */
function contractMessage(name: string): DescMessage {
  const message = contract.getMessage(`fabricscope.v1.${name}`);
  if (!message) throw new Error(`fabricscope.v1.${name} is not a message of the contract`);
  return message;
}

/** A field of a fabricscope.v1 message by its proto name, or undefined when it has none. */
export function protoField(message: string, name: string): ProtoField | undefined {
  const field = contractMessage(message).fields.find((f) => f.name === name);
  if (!field) return undefined;
  // A list's or a map's own type is that of its elements (of a map: its values).
  const of =
    field.fieldKind === 'list' ? field.listKind : field.fieldKind === 'map' ? field.mapKind : field.fieldKind;
  return {
    number: field.number,
    type:
      field.scalar !== undefined
        ? ScalarType[field.scalar].toLowerCase()
        : (field.message ?? field.enum)!.name,
    repeated: field.fieldKind === 'list',
    map: field.fieldKind === 'map',
    message: of === 'message',
    enum: of === 'enum',
  };
}

/** The proto names of a message's fields. */
export const protoFieldNames = (message: string): string[] =>
  contractMessage(message).fields.map((f) => f.name);
