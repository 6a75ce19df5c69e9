import { fromBinary } from '@bufbuild/protobuf';
import type { Bus, BusMessage, TopicKind } from '../../common/bus/bus.js';
import { decodeBusBatch, type BusBatchHeader } from '../../common/bus/envelope.js';
import { errorMessage } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import { GeneratorEventBatchSchema, GeneratorEventType, UveBatchSchema } from '../../common/proto.js';
import type { FlowNode } from '../flows/resolvers.js';
import type { GeneratorStatus } from '../generated/graphql.js';
import { microsToRfc3339 } from '../shared/time.js';
import { flowNodes } from './flow-records.js';
import type { Source } from './hub.js';
import type { Identities } from './identities.js';

const limited = rateLimited(logger('streams'));

/**
 * Bytes of bus messages (batches) a stream's tail holds before they are read, at most. The tail hands messages
 * over on the publisher's path (embedded, right after the append): they are only queued there, and
 * read one per turn of the event loop, so the collector's work goes on between them. A stream that
 * still holds messages when more would make this many wait (it fell this far behind the bus: more
 * flows than the process can read besides ingesting them) drops them and is `lagging`: its
 * subscribers are cut off, and ingest has the process to itself again.
 */
const MAX_INBOX_BYTES = 32 * 1024 * 1024;

/** A stream fed by a bus tail (Bus.tail: from the end, no group position, no commits). */
export function busSource<T>(
  bus: Bus,
  kind: TopicKind,
  decode: (message: BusMessage) => T[],
  around?: { acquire(): Promise<void>; release(): void },
): Source<T> {
  return {
    async start(deliver, lagging) {
      await around?.acquire();
      let inbox: BusMessage[] = [];
      let inboxBytes = 0;
      let scheduled = false;
      const next = (): void => {
        const message = inbox.shift();
        if (message) {
          inboxBytes -= message.value.length;
          deliver(decoded(kind, message, decode));
        }
        scheduled = inbox.length > 0;
        if (scheduled) setImmediate(next);
      };
      try {
        const tail = await bus.tail(kind, (messages) => {
          // A delivery finding the inbox empty is taken whole: a Kafka fetch brings many at once.
          const bytes = messages.reduce((n, m) => n + m.value.length, 0);
          if (inbox.length > 0 && inboxBytes + bytes > MAX_INBOX_BYTES) {
            inbox = [];
            inboxBytes = 0;
            return lagging();
          }
          inbox.push(...messages);
          inboxBytes += bytes;
          if (!scheduled) {
            scheduled = true;
            setImmediate(next);
          }
        });
        return {
          close: async () => {
            await tail.close();
            around?.release();
          },
        };
      } catch (err) {
        around?.release();
        throw err;
      }
    },
  };
}

/** A message the stream cannot read is skipped, logged: the collector checked it, so a bug of ours. */
function decoded<T>(kind: TopicKind, message: BusMessage, decode: (message: BusMessage) => T[]): T[] {
  try {
    return decode(message);
  } catch (err) {
    limited.error(kind, { topic: kind, err: errorMessage(err) }, 'live stream: bus message not read');
    return [];
  }
}

/** Times as the API prints them: the record's own, or when the collector got it when left 0. */
const timeOf = (recordUs: bigint, header: BusBatchHeader): string =>
  microsToRfc3339(recordUs === 0n ? header.receivedAt : Number(recordUs));

export interface UveChangeEvent {
  type: string;
  name: string;
  time: string;
  receivedAt: string;
  generator: string;
  struct: string;
  deleted: boolean;
  attributes: unknown;
}

/** A `uves` batch's updates, each as the uveHistory query shows one (with its UVE). */
export function uveChanges(message: BusMessage): UveChangeEvent[] {
  const batch = decodeBusBatch(message.value);
  if (batch.kind !== 'uves') return [];
  const { header } = batch;
  return fromBinary(UveBatchSchema, message.value.subarray(batch.start, batch.end)).records.map((r) => ({
    type: r.type,
    name: r.name,
    time: timeOf(r.timestamp, header),
    receivedAt: microsToRfc3339(header.receivedAt),
    generator: header.generator,
    struct: r.structType,
    deleted: r.deleted,
    attributes: r.attributesJson === '' ? null : (JSON.parse(r.attributesJson) as unknown),
  }));
}

export interface GeneratorEventNode {
  time: string;
  generator: string;
  event: GeneratorStatus;
  epoch: string;
  peer: string;
}

const statuses: Partial<Record<GeneratorEventType, GeneratorStatus>> = {
  [GeneratorEventType.CONNECTED]: 'CONNECTED',
  [GeneratorEventType.DISCONNECTED]: 'DISCONNECTED',
  [GeneratorEventType.WITHDRAWN]: 'WITHDRAWN',
};

/** A `generators` batch's session events (the collector's own). */
export function generatorEvents(message: BusMessage): GeneratorEventNode[] {
  const batch = decodeBusBatch(message.value);
  if (batch.kind !== 'generator_events') return [];
  const records = fromBinary(
    GeneratorEventBatchSchema,
    message.value.subarray(batch.start, batch.end),
  ).records;
  return records.flatMap((r) => {
    const event = statuses[r.event];
    if (!event) return [];
    return [
      {
        time: microsToRfc3339(Number(r.time)),
        generator: r.generator,
        event,
        epoch: String(r.epoch),
        peer: r.peer,
      },
    ];
  });
}

/** The bus-fed streams of a query service. */
export function busSources(bus: Bus, identities: Identities) {
  return {
    flows: busSource<FlowNode>(bus, 'flows', (m) => flowNodes(m, identities.lookup), identities),
    uveChanges: busSource(bus, 'uves', uveChanges),
    generatorEvents: busSource(bus, 'generators', generatorEvents),
  };
}
