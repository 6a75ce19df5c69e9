import { messages, payloadKindOf, type PayloadKind } from '../common/proto.js';
import { WireReader, WireType } from '../common/wire/reader.js';

/** Where a batch's records sit inside the buffer it arrived in. */
export interface PayloadRange {
  kind: PayloadKind;
  start: number;
  end: number;
}

export type Request =
  | { type: 'hello'; generator: string; token: string; epoch: number }
  | { type: 'batch'; seq: number; payload: PayloadRange | undefined };

/** Reads a PublishRequest without decoding its records. Throws WireError on malformed input. */
export function readRequest(buf: Buffer): Request {
  const reader = new WireReader(buf);
  while (!reader.done()) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WireType.LEN) return readHello(buf.subarray(...reader.lengthDelimited()));
    if (tag === (2 << 3) + WireType.LEN) return readBatch(buf, ...reader.lengthDelimited());
    reader.skip(tag & 7);
  }
  throw new TypeError('request carries neither hello nor batch');
}

export function readHello(buf: Buffer): Request & { type: 'hello' } {
  const hello = messages.Hello.toObject(messages.Hello.decode(buf), { longs: Number, defaults: true });
  return { type: 'hello', generator: hello.generator, token: hello.token, epoch: hello.epoch };
}

export function readBatch(buf: Buffer, start = 0, end = buf.length): Request & { type: 'batch' } {
  const reader = new WireReader(buf, start, end);
  let seq = 0;
  let payload: PayloadRange | undefined;
  while (!reader.done()) {
    const tag = reader.varint();
    const kind = payloadKindOf(tag >>> 3);
    if (tag === (1 << 3) + WireType.VARINT) seq = reader.varint();
    else if (kind && (tag & 7) === WireType.LEN) payload = { kind, ...range(reader.lengthDelimited()) };
    else reader.skip(tag & 7);
  }
  return { type: 'batch', seq, payload };
}

const range = ([start, end]: [number, number]): { start: number; end: number } => ({ start, end });
