import { fromBinary } from '@bufbuild/protobuf';
import {
  BatchSchema,
  HelloSchema,
  payloadKindOf,
  PublishBatchRequestSchema,
  PublishRequestSchema,
  wireTag,
  type Fields,
  type Hello,
  type PayloadKind,
} from '../common/proto.js';
import { errorMessage, invalid } from '../common/errors.js';
import { WireReader, WireType } from '../common/wire/reader.js';

/** Where a batch's records sit inside the buffer it arrived in. */
export interface PayloadRange {
  kind: PayloadKind;
  start: number;
  end: number;
}

export type Request =
  ({ type: 'hello' } & Fields<Hello>) | { type: 'batch'; seq: number; payload: PayloadRange | undefined };

/** The tags the requests are walked by (collector.proto). */
export const TAG = {
  requestHello: wireTag(PublishRequestSchema.field.hello),
  requestBatch: wireTag(PublishRequestSchema.field.batch),
  unaryHello: wireTag(PublishBatchRequestSchema.field.hello),
  unaryBatch: wireTag(PublishBatchRequestSchema.field.batch),
  seq: wireTag(BatchSchema.field.seq),
};

/** Reads a PublishRequest without decoding its records. Throws WireError on malformed input. */
export function readRequest(buf: Buffer): Request {
  const reader = new WireReader(buf);
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === TAG.requestHello) return readHello(buf.subarray(...reader.lengthDelimited()));
    if (tag === TAG.requestBatch) return readBatch(buf, ...reader.lengthDelimited());
    reader.skip(tag & 7);
  }
  throw invalid('request carries neither hello nor batch');
}

export function readHello(buf: Buffer): Request & { type: 'hello' } {
  const hello = decodeHello(buf);
  return { type: 'hello', generator: hello.generator, token: hello.token, epoch: Number(hello.epoch) };
}

export function readBatch(buf: Buffer, start = 0, end = buf.length): Request & { type: 'batch' } {
  const reader = new WireReader(buf, start, end);
  let seq = 0;
  let payload: PayloadRange | undefined;
  while (!reader.done()) {
    const tag = reader.tag();
    const kind = payloadKindOf(tag >>> 3);
    if (tag === TAG.seq) seq = readSeq(reader);
    else if (kind) payload = readPayload(reader, kind, tag & 7, payload);
    else reader.skip(tag & 7);
  }
  return { type: 'batch', seq, payload };
}

/**
 * The records of a batch, in one field: a second one (which protobuf would merge, or let replace the
 * first) or one of another wire type would otherwise lose records without a word.
 */
function readPayload(
  reader: WireReader,
  kind: PayloadKind,
  wire: number,
  earlier: PayloadRange | undefined,
): PayloadRange {
  if (wire !== WireType.LEN)
    throw invalid(`batch ${kind} with wire type ${wire}; records are length-delimited`);
  if (earlier)
    throw invalid(`batch carries records twice (${earlier.kind}, then ${kind}); one field per batch`);
  return { kind, ...range(reader.lengthDelimited()) };
}

/**
 * A batch's seq, exact: above 2^53 a number would round, two seqs would become one and the later
 * batch would be dropped as a resend of the other (and 2^64-1 would round past uint64).
 */
function readSeq(reader: WireReader): number {
  const seq = reader.varint();
  if (seq > Number.MAX_SAFE_INTEGER) throw invalid(`batch seq ${seq} is above 2^53-1`);
  return seq;
}

const range = ([start, end]: [number, number]): { start: number; end: number } => ({ start, end });

/** A Hello the sender got wrong is its fault: said so, not reported as a failure of ours. */
function decodeHello(buf: Buffer): Hello {
  try {
    return fromBinary(HelloSchema, buf);
  } catch (err) {
    throw invalid(`malformed hello: ${errorMessage(err)}`);
  }
}
