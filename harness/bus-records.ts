import { create, toBinary } from '@bufbuild/protobuf';
import { encodeBusBatch } from '../common/bus/envelope.js';
import type { BusMessage } from '../common/bus/bus.js';
import {
  busPayloadSchema,
  encodeFields,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveBatchSchema,
  type BusPayloadKind,
  type UveUpdate,
} from '../common/proto.js';

interface Header {
  generator: string;
  epoch?: number;
  seq: number;
  receivedAt: number;
}

/** A BusBatch as the collector publishes it, from plain records (.proto field names, see fromFields). */
export function busMessage(kind: BusPayloadKind, header: Header, records: object[]): BusMessage {
  const payload = encodeFields(busPayloadSchema(kind), { records });
  return {
    key: header.generator.split(':')[0]!,
    value: encodeBusBatch({ epoch: 1, ...header }, kind, payload),
  };
}

/** A `uves` batch as the collector publishes it, of UVE updates as the simulator makes them. */
export function uveBusMessage(header: Header, uves: readonly UveUpdate[]): BusMessage {
  const payload = toBinary(UveBatchSchema, create(UveBatchSchema, { records: [...uves] }));
  return {
    key: header.generator.split(':')[0]!,
    value: encodeBusBatch({ epoch: 1, ...header }, 'uves', Buffer.from(payload)),
  };
}

/** A generator withdrawn at `receivedAt`, as the collector reports it after the generator's grace. */
export function withdrawalBusMessage(header: Header): BusMessage {
  const { generator, epoch = 1, receivedAt } = header;
  const payload = toBinary(
    GeneratorEventBatchSchema,
    create(GeneratorEventBatchSchema, {
      records: [
        { generator, event: GeneratorEventType.WITHDRAWN, epoch: BigInt(epoch), time: BigInt(receivedAt) },
      ],
    }),
  );
  return {
    key: generator,
    value: encodeBusBatch({ epoch, ...header }, 'generator_events', Buffer.from(payload)),
  };
}
