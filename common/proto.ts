import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The folder holding proto/fabricscope/v1 (the code runs from dist/, one level below the root). */
export const protoRoot = fileURLToPath(new URL('../../proto/', import.meta.url));

/** Absolute path of a contract file, e.g. for ClickHouse's format_schema. */
export const protoFile = (name: string): string => `${protoRoot}fabricscope/v1/${name}`;

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : protoRoot + target);
  root.loadSync(['fabricscope/v1/collector.proto', 'fabricscope/v1/bus.proto'], { keepCase: true });
  root.resolveAll();
  return root;
}

const root = loadRoot();
const type = (name: string): protobuf.Type => root.lookupType(`fabricscope.v1.${name}`);

/** The contract's message types, for the control plane and tests; hot paths walk the wire instead. */
export const messages = {
  Hello: type('Hello'),
  Batch: type('Batch'),
  PublishRequest: type('PublishRequest'),
  PublishResponse: type('PublishResponse'),
  PublishBatchRequest: type('PublishBatchRequest'),
  Ack: type('Ack'),
  Welcome: type('Welcome'),
  BusBatch: type('BusBatch'),
  BatchStamp: type('BatchStamp'),
  FlowRecord: type('FlowRecord'),
  FlowBatch: type('FlowBatch'),
  UveUpdate: type('UveUpdate'),
  RouteEvent: type('RouteEvent'),
  InterfaceStats: type('InterfaceStats'),
  UveBatch: type('UveBatch'),
  RouteBatch: type('RouteBatch'),
  InterfaceStatsBatch: type('InterfaceStatsBatch'),
  GeneratorEventBatch: type('GeneratorEventBatch'),
};

/** Enum values as the contract numbers them. */
export const AckStatus = { OK: 1, DUPLICATE: 2, INVALID: 3, UNAVAILABLE: 4 } as const;
export type AckStatusValue = (typeof AckStatus)[keyof typeof AckStatus];

/** Batch payload field numbers (BusBatch uses the same ones). */
export const PayloadField = { uves: 10, flows: 11, routes: 12, interface_stats: 13 } as const;
export type PayloadKind = keyof typeof PayloadField;

const kindByField = new Map<number, PayloadKind>(
  Object.entries(PayloadField).map(([kind, field]) => [field, kind as PayloadKind]),
);

/** The payload kind a field number of Batch carries, if it is one. */
export const payloadKindOf = (field: number): PayloadKind | undefined => kindByField.get(field);

/** BusBatch carries the same payloads plus what the collector itself reports (never a generator). */
export const BusPayloadField = { ...PayloadField, generator_events: 14 } as const;
export type BusPayloadKind = keyof typeof BusPayloadField;

/** The payload kind a field number of BusBatch carries, if it is one. */
export const busPayloadKindOf = (field: number): BusPayloadKind | undefined =>
  field === BusPayloadField.generator_events ? 'generator_events' : payloadKindOf(field);

/** GeneratorEventType in records.proto. */
export const GeneratorEventType = { CONNECTED: 1, DISCONNECTED: 2, WITHDRAWN: 3 } as const;

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

/** A field of a fabricscope.v1 message by its proto name, or undefined when it has none. */
export function protoField(message: string, name: string): ProtoField | undefined {
  const field = type(message).fields[name];
  if (!field) return undefined;
  field.resolve();
  return {
    number: field.id,
    type: field.type,
    repeated: field.repeated,
    map: field.map,
    message: field.resolvedType instanceof protobuf.Type,
    enum: field.resolvedType instanceof protobuf.Enum,
  };
}

/** The proto names of a message's fields. */
export const protoFieldNames = (message: string): string[] => Object.keys(type(message).fields);
