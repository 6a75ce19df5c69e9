import { fromBinary } from '@bufbuild/protobuf';
import type { BusMessage } from '../common/bus/bus.js';
import { decodeBusBatch } from '../common/bus/envelope.js';
import { FabricError } from '../common/errors.js';
import { uvePartOf } from '../common/model/uve-parts.js';
import {
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveBatchSchema,
  type BusPayloadKind,
} from '../common/proto.js';
import type { UveChange } from './uve-state.js';

/**
 * What the engine reads of the bus: the UVE records of a `uves` batch, the withdrawals of a
 * `generators` batch (connects and disconnects change no UVE). Records are decoded here, at the edge:
 * the engine evaluates JavaScript objects. A message that is not what its topic carries throws,
 * naming the topic and the batch.
 */

export function uveChangesOf(message: BusMessage): UveChange[] {
  const { header, payload } = payloadOf(message, 'uves');
  return fromBinary(UveBatchSchema, payload).records.map((record) => ({
    type: record.type,
    name: record.name,
    deleted: record.deleted,
    part: uvePartOf(header.generator, record, header.receivedAt),
  }));
}

export interface Withdrawal {
  generator: string;
  /** On the collector's clock (µs): parts received before it no longer count. */
  time: number;
}

export function withdrawalsOf(message: BusMessage): Withdrawal[] {
  const { payload } = payloadOf(message, 'generator_events');
  return fromBinary(GeneratorEventBatchSchema, payload)
    .records.filter((event) => event.event === GeneratorEventType.WITHDRAWN)
    .map((event) => ({ generator: event.generator, time: Number(event.time) }));
}

function payloadOf(message: BusMessage, kind: BusPayloadKind) {
  const decoded = decodeBusBatch(message.value);
  const { generator, epoch, seq } = decoded.header;
  if (decoded.kind !== kind) {
    throw new FabricError(
      'INVALID_ARGUMENT',
      `batch ${generator}/${epoch}/${seq} carries ${decoded.kind ?? 'no payload'}, not ${kind}`,
    );
  }
  return { header: decoded.header, payload: message.value.subarray(decoded.start, decoded.end) };
}
