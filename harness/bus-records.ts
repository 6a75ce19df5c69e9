import { encodeBusBatch } from '../common/bus/envelope.js';
import type { BusMessage } from '../common/bus/bus.js';
import { busPayloadSchema, encodeFields, type BusPayloadKind } from '../common/proto.js';

/** A BusBatch as the collector publishes it, from plain records (.proto field names, see fromFields). */
export function busMessage(
  kind: BusPayloadKind,
  header: { generator: string; epoch?: number; seq: number; receivedAt: number },
  records: object[],
): BusMessage {
  const payload = encodeFields(busPayloadSchema(kind), { records });
  return {
    key: header.generator.split(':')[0]!,
    value: encodeBusBatch({ epoch: 1, ...header }, kind, payload),
  };
}
