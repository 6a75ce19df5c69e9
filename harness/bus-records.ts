import { encodeBusBatch } from '../common/bus/envelope.js';
import type { BusMessage } from '../common/bus/bus.js';
import { messages, type BusPayloadKind } from '../common/proto.js';

const batchTypes = {
  uves: messages.UveBatch,
  flows: messages.FlowBatch,
  routes: messages.RouteBatch,
  interface_stats: messages.InterfaceStatsBatch,
  generator_events: messages.GeneratorEventBatch,
};

/** A BusBatch as the collector publishes it, from plain records (protobufjs field names). */
export function busMessage(
  kind: BusPayloadKind,
  header: { generator: string; epoch?: number; seq: number; receivedAt: number },
  records: object[],
): BusMessage {
  const payload = Buffer.from(batchTypes[kind].encode({ records }).finish());
  return {
    key: header.generator.split(':')[0]!,
    value: encodeBusBatch({ epoch: 1, ...header }, kind, payload),
  };
}
