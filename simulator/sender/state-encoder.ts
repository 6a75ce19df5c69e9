import type { MessageInitShape } from '@bufbuild/protobuf';
import { BatchSchema, encode, PublishRequestSchema } from '../../common/proto.js';
import { STATE_KINDS, type StateKind, type StateRecordOf } from '../fabric/records.js';

type Payload = MessageInitShape<typeof BatchSchema>['payload'];

/** The Batch payload member a kind travels in, by its localName (interface_stats → interfaceStats). */
const payloadCase = Object.fromEntries(
  STATE_KINDS.map((kind) => {
    const member = BatchSchema.fields.find((f) => f.name === kind);
    if (!member?.oneof) throw new Error(`${BatchSchema.typeName} has no payload ${kind}`);
    return [kind, member.localName];
  }),
) as Record<StateKind, string>;

/**
 * An encoded PublishRequest{batch{seq, <kind>{records}}}, with the generated schemas: UVEs, routes and
 * interface stats are few; flows, which are not, have their own encoder (flow-encoder.ts).
 */
export function encodeStateBatch<K extends StateKind>(
  kind: K,
  seq: number,
  records: StateRecordOf[K][],
): Buffer {
  // The case is the member that carries StateRecordOf[K]: what TypeScript cannot tie to K.
  const payload = { case: payloadCase[kind], value: { records } } as Payload;
  return encode(PublishRequestSchema, { message: { case: 'batch', value: { seq: BigInt(seq), payload } } });
}
