import type { BusMessage } from '../../common/bus/bus.js';
import { decodeBusBatch, type BusBatchHeader } from '../../common/bus/envelope.js';
import { ScalarType } from '@bufbuild/protobuf';
import { FlowRecordSchema } from '../../common/proto.js';
import { flowCatalog, type FlowField } from '../../common/schema/catalog/flows.js';
import { ip, microseconds, uuid } from '../../common/schema/catalog/expressions.js';
import { forEachRecord } from '../../common/wire/frames.js';
import { WireReader, WireType } from '../../common/wire/reader.js';
import type { FlowNode } from '../flows/resolvers.js';
import { microsToRfc3339 } from '../shared/time.js';
import type { Identity } from './identities.js';

/**
 * A `flows` bus message as Flow nodes, as the flows query shows the stored rows: the same fields,
 * printed the same way, converted as the catalog's inserts convert them (addresses, UUIDs, times,
 * enums), and the workload identity filled in when the sender left it out, from the same source
 * as the writer's (identities.ts).
 *
 * Every flow of the bus is read here while a flow stream is open, on the process's one thread
 * (embedded, the collector's too): so a record is read on the wire (field number → raw value, no
 * protobuf object), and each Flow field is converted only when read, by the filter of a subscriber
 * or by the GraphQL answer of the fields it selected (getters on the prototype, per catalog field).
 */
export type IdentityOf = (vn: string, address: string) => Identity | undefined;

type Raw = number | Buffer;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const EMPTY = Buffer.alloc(0);

/** Each record field by number: its name (the catalog's `proto`), and whether it is a varint. */
const recordFields = new Map(
  FlowRecordSchema.fields.map((f) => {
    const delimited =
      f.fieldKind === 'scalar' && (f.scalar === ScalarType.STRING || f.scalar === ScalarType.BYTES);
    return [f.number, { name: f.name, wireType: delimited ? WireType.LEN : WireType.VARINT }] as const;
  }),
);

/** A record's fields as read: numbers, and strings and bytes as views of the message (no copy). */
function readRecord(buf: Buffer, start: number, end: number): Map<string, Raw> {
  const raw = new Map<string, Raw>();
  const reader = new WireReader(buf, start, end);
  while (!reader.done()) {
    const tag = reader.tag();
    const field = recordFields.get(tag >>> 3);
    if (!field || (tag & 7) !== field.wireType) reader.skip(tag & 7);
    else if (field.wireType === WireType.VARINT) raw.set(field.name, reader.varint());
    else raw.set(field.name, buf.subarray(...reader.lengthDelimited()));
  }
  return raw;
}

/** A string field's text. */
const text = (v: Raw | undefined): string => (v === undefined ? '' : v.toString());

type Convert = (value: Raw | undefined) => unknown;

/** The stored value of a catalog field from its record field (absent: its zero), as the API prints it. */
function converter(field: FlowField): Convert {
  const graphql = field.api!.graphql;
  if (field.insert === uuid) return (v) => uuidText((v as Buffer | undefined) ?? EMPTY);
  if (field.insert === ip) return (v) => addressText((v as Buffer | undefined) ?? EMPTY);
  if (field.insert === microseconds) {
    // A teardown time of 0 (the epoch) means the flow is still active.
    if (graphql === 'DateTime') return (v) => (v ? microsToRfc3339(Number(v)) : null);
    return (v) => microsToRfc3339(Number(v ?? 0));
  }
  if (field.type.startsWith('Enum8(')) {
    const names = new Map(
      [...field.type.matchAll(/'([^']+)' = (\d+)/g)].map(([, name, n]) => [Number(n), name!]),
    );
    return (v) => names.get(Number(v ?? 0)) ?? '';
  }
  if (field.column === 'sampling') return (v) => Math.max(Number(v ?? 0), 1);
  if (typeof field.read === 'string' && /Int/.test(field.read)) return (v) => Number(v ?? 0);
  return text;
}

interface Ends {
  source: Identity | undefined;
  dest: Identity | undefined;
}

/** One flow of a batch; its Flow fields are getters (below), computed when read. */
class LiveFlow {
  private ends: Ends | undefined;

  constructor(
    readonly raw: Map<string, Raw>,
    private readonly header: BusBatchHeader,
    private readonly identityOf: IdentityOf,
  ) {}

  get time(): string {
    const at = Number(this.raw.get('timestamp') ?? 0);
    return microsToRfc3339(at === 0 ? this.header.receivedAt : at);
  }

  get receivedAt(): string {
    return microsToRfc3339(this.header.receivedAt);
  }

  get generator(): string {
    return this.header.generator;
  }

  /** The workloads of both ends, looked up once, when an identity field is first read. */
  identities(): Ends {
    this.ends ??= {
      source: this.identityOf(
        String(this.raw.get('source_vn') ?? ''),
        (this as unknown as FlowNode).sourceIp as string,
      ),
      dest: this.identityOf(
        String(this.raw.get('dest_vn') ?? ''),
        (this as unknown as FlowNode).destIp as string,
      ),
    };
    return this.ends;
  }
}

/** Each API field read straight from the record, as a getter of LiveFlow. */
for (const field of flowCatalog.fields) {
  if (!field.api || !field.proto || /_(workload|namespace)$/.test(field.column)) continue;
  const convert = converter(field);
  const proto = field.proto;
  Object.defineProperty(LiveFlow.prototype, field.api.name, {
    get(this: LiveFlow) {
      return convert(this.raw.get(proto));
    },
    enumerable: true,
  });
}

/** Workload identity: the sender's when it gave one, else the one the writer would store. */
for (const end of ['source', 'dest'] as const) {
  for (const attribute of ['workload', 'namespace'] as const) {
    const name = `${end}${attribute === 'workload' ? 'Workload' : 'Namespace'}`;
    Object.defineProperty(LiveFlow.prototype, name, {
      get(this: LiveFlow) {
        return (
          String(this.raw.get(`${end}_${attribute}`) ?? '') || (this.identities()[end]?.[attribute] ?? '')
        );
      },
      enumerable: true,
    });
  }
  Object.defineProperty(LiveFlow.prototype, `${end}Labels`, {
    get(this: LiveFlow) {
      return this.identities()[end]?.labels ?? {};
    },
    enumerable: true,
  });
}

export function flowNodes(message: BusMessage, identityOf: IdentityOf): FlowNode[] {
  const batch = decodeBusBatch(message.value);
  if (batch.kind !== 'flows') return [];
  const nodes: FlowNode[] = [];
  forEachRecord(message.value, batch.start, batch.end, (s, e) => {
    nodes.push(
      new LiveFlow(readRecord(message.value, s, e), batch.header, identityOf) as unknown as FlowNode,
    );
  });
  return nodes;
}

function uuidText(bytes: Buffer): string {
  if (bytes.length !== 16) return ZERO_UUID;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** As the warehouse prints it: IPv4 (4 bytes, or IPv4-mapped) dotted, IPv6 with its zeros compressed. */
export function addressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return '::';
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.subarray(12).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // RFC 5952: the longest run of two or more zero groups, the first of equals, becomes '::'.
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
