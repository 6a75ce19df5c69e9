import { fromBinary } from '@bufbuild/protobuf';
import type { BusMessage } from '../../common/bus/bus.js';
import { decodeBusBatch } from '../../common/bus/envelope.js';
import { flowCatalog, type FlowField } from '../../common/schema/catalog/flows.js';
import { ip, microseconds, uuid } from '../../common/schema/catalog/expressions.js';
import { FlowBatchSchema, type FlowRecord } from '../../common/proto.js';
import type { FlowNode } from '../flows/resolvers.js';
import { microsToRfc3339 } from '../shared/time.js';
import type { Identity } from './identities.js';

/**
 * A `flows` bus message as Flow nodes, as the flows query shows the stored rows: the same fields,
 * printed the same way, converted as the catalog's inserts convert them (addresses, UUIDs, times,
 * enums), and the workload identity filled in when the sender left it out, from the same source
 * as the writer's (identities.ts). Decoded here, at the edge: only for messages a subscriber wants.
 */
export type IdentityOf = (vn: string, address: string) => Identity | undefined;

type Convert = (value: unknown) => unknown;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The stored value of a catalog field from its record field, as the API prints it. */
function converter(field: FlowField): Convert {
  const graphql = field.api!.graphql;
  if (field.insert === uuid) return (v) => uuidText(v as Uint8Array);
  if (field.insert === ip) return (v) => addressText(v as Uint8Array);
  if (field.insert === microseconds) {
    // A teardown time of 0 (the epoch) means the flow is still active.
    return graphql === 'DateTime'
      ? (v) => (v === 0n ? null : microsToRfc3339(Number(v)))
      : (v) => microsToRfc3339(Number(v));
  }
  if (field.type.startsWith('Enum8(')) {
    const names = new Map(
      [...field.type.matchAll(/'([^']+)' = (\d+)/g)].map(([, name, n]) => [Number(n), name!]),
    );
    return (v) => names.get(Number(v)) ?? '';
  }
  if (field.column === 'sampling') return (v) => Math.max(Number(v), 1);
  if (typeof field.read === 'string' && /Int/.test(field.read)) return (v) => Number(v);
  return (v) => v;
}

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Each API field read straight from the record (identity and labels are filled in apart). */
const direct = flowCatalog.fields
  .filter((f) => f.api && f.proto && !/_(workload|namespace)$/.test(f.column))
  .map((f) => ({ name: f.api!.name, proto: camel(f.proto!) as keyof FlowRecord, convert: converter(f) }));

export function flowNodes(message: BusMessage, identityOf: IdentityOf): FlowNode[] {
  const batch = decodeBusBatch(message.value);
  if (batch.kind !== 'flows') return [];
  const { header } = batch;
  const records = fromBinary(FlowBatchSchema, message.value.subarray(batch.start, batch.end)).records;
  return records.map((record) => {
    const node: Record<string, unknown> = {
      time: microsToRfc3339(record.timestamp === 0n ? header.receivedAt : Number(record.timestamp)),
      receivedAt: microsToRfc3339(header.receivedAt),
      generator: header.generator,
    };
    for (const { name, proto, convert } of direct) node[name] = convert(record[proto]);
    const source = identityOf(record.sourceVn, String(node.sourceIp));
    const dest = identityOf(record.destVn, String(node.destIp));
    node.sourceWorkload = record.sourceWorkload || (source?.workload ?? '');
    node.destWorkload = record.destWorkload || (dest?.workload ?? '');
    node.sourceNamespace = record.sourceNamespace || (source?.namespace ?? '');
    node.destNamespace = record.destNamespace || (dest?.namespace ?? '');
    node.sourceLabels = source?.labels ?? {};
    node.destLabels = dest?.labels ?? {};
    return node;
  });
}

function uuidText(bytes: Uint8Array): string {
  if (bytes.length !== 16) return ZERO_UUID;
  const hex = Buffer.from(bytes).toString('hex');
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
