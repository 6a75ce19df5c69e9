import * as grpc from '@grpc/grpc-js';
import { messages, type PayloadKind } from '../../common/proto.js';

export interface Ack {
  seq: number;
  status: string;
  accepted: number;
  rejections: { index: number; field: string; reason: string }[];
  message: string;
}

/**
 * A hand-driven Publish stream: one generator's session, each batch awaited for its ack. Bounded, so a
 * collector that stops answering fails the test instead of hanging it.
 */
export interface PublishStream {
  send(kind: PayloadKind, records: object[]): Promise<Ack>;
  close(): Promise<void>;
}

const ackTimeoutMs = 60_000;
const closeTimeoutMs = 10_000;

export function openPublishStream(target: string, generator: string, epoch: number): PublishStream {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    '/fabricscope.v1.Collector/Publish',
    (b: Buffer) => b,
    (b: Buffer) =>
      messages.PublishResponse.toObject(messages.PublishResponse.decode(b), {
        longs: Number,
        enums: String,
        defaults: true,
      }),
  );
  const waiting = new Map<number, (ack: Ack) => void>();
  call.on('data', (response: { ack?: Ack }) => {
    if (response.ack) waiting.get(response.ack.seq)?.(response.ack);
  });
  call.on('error', () => undefined);
  const closed = new Promise((resolve) => call.on('status', resolve));
  const write = (request: object) =>
    call.write(Buffer.from(messages.PublishRequest.encode(request).finish()));
  write({ hello: { generator, epoch } });
  let seq = 0;
  return {
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
