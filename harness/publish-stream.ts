import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { fromBinary, toJson } from '@bufbuild/protobuf';
import {
  AckStatus,
  Collector,
  encodeFields,
  methodPath,
  PublishRequestSchema,
  PublishResponseSchema,
  UveUpdateSchema,
  type Ack,
  type PayloadKind,
  type PublishResponse,
  type UveUpdate,
} from '../common/proto.js';

/**
 * A hand-driven Publish stream: one generator's session, each batch awaited for its ack. Bounded, so a
 * collector that stops answering fails the test instead of hanging it.
 */
export interface PublishStream {
  send(kind: PayloadKind, records: object[]): Promise<Ack>;
  /** How the collector ended the stream (e.g. a refused Hello). */
  status: Promise<grpc.StatusObject>;
  close(): Promise<void>;
}

const ackTimeoutMs = 60_000;
const closeTimeoutMs = 10_000;

export function openPublishStream(
  target: string,
  generator: string,
  epoch: number,
  token = '',
): PublishStream {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    methodPath(Collector.method.publish),
    (b: Buffer) => b,
    (b: Buffer) => fromBinary(PublishResponseSchema, b),
  );
  const waiting = new Map<number, (ack: Ack) => void>();
  call.on('data', ({ message }: PublishResponse) => {
    if (message.case === 'ack') waiting.get(Number(message.value.seq))?.(message.value);
  });
  call.on('error', () => undefined);
  const closed = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const write = (request: object) => call.write(encodeFields(PublishRequestSchema, request));
  write({ hello: { generator, epoch, token } });
  let seq = 0;
  return {
    status: closed,
    send: (kind, records) =>
      new Promise<Ack>((resolve, reject) => {
        const batch = ++seq;
        const timer = setTimeout(() => {
          waiting.delete(batch);
          reject(new Error(`${generator}: no ack for batch ${batch} within ${ackTimeoutMs} ms`));
        }, ackTimeoutMs);
        waiting.set(batch, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        write({ batch: { seq: batch, [kind]: { records } } });
      }),
    close: async () => {
      call.end();
      // A collector that never ends its side is cut off (the status is then CANCELLED).
      const timer = setTimeout(() => call.cancel(), closeTimeoutMs);
      await closed;
      clearTimeout(timer);
      client.close();
    },
  };
}

/**
 * Opens a generator's stream and sends its UVE updates as one batch, which must be acked OK with every
 * record accepted; the stream stays open (a hang-up starts the generator's grace), so it is returned.
 */
export async function publishUves(
  target: string,
  generator: string,
  epoch: number,
  uves: readonly UveUpdate[],
): Promise<PublishStream> {
  const stream = openPublishStream(target, generator, epoch);
  const ack = await stream.send(
    'uves',
    uves.map((u) => toJson(UveUpdateSchema, u) as object),
  );
  assert.equal(ack.status, AckStatus.OK, `${generator}: ${ack.message}`);
  assert.equal(ack.accepted, uves.length, `${generator}: records accepted`);
  return stream;
}
