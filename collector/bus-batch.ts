import { BusPayloadField, busPayloadKindOf, messages, type BusPayloadKind } from '../common/proto.js';
import { putVarint, varintSize, WireReader, WireType } from './wire.js';

/** The identity of a batch: (generator, epoch, seq) makes a resend recognisable downstream. */
export interface BatchId {
  generator: string;
  epoch: number;
  seq: number;
}

export interface BusBatchHeader extends BatchId {
  receivedAt: number;
}

/**
 * Encodes a BusBatch (bus.proto) around an already-encoded *Batch payload, copying the payload once
 * instead of decoding and re-encoding its records.
 */
export function encodeBusBatch(header: BusBatchHeader, kind: BusPayloadKind, payload: Buffer): Buffer {
  const head = messages.BusBatch.encode({
    generator: header.generator,
    epoch: header.epoch,
    seq: header.seq,
    received_at: header.receivedAt,
  }).finish();
  const tag = (BusPayloadField[kind] << 3) + WireType.LEN;
  const out = Buffer.allocUnsafe(head.length + varintSize(tag) + varintSize(payload.length) + payload.length);
  out.set(head);
  let pos = head.length;
  pos = putVarint(out, pos, tag);
  pos = putVarint(out, pos, payload.length);
  payload.copy(out, pos);
  return out;
}

export interface DecodedBusBatch {
  header: BusBatchHeader;
  kind: BusPayloadKind | undefined;
  start: number;
  end: number;
}

/** Reads a BusBatch's header and locates its payload, leaving the records encoded. */
export function decodeBusBatch(buf: Buffer): DecodedBusBatch {
  const header: BusBatchHeader = { generator: '', epoch: 0, seq: 0, receivedAt: 0 };
  const decoded: DecodedBusBatch = { header, kind: undefined, start: 0, end: 0 };
  const reader = new WireReader(buf);
  while (!reader.done()) {
    const tag = reader.varint();
    const field = tag >>> 3;
    const kind = busPayloadKindOf(field);
    if (field === 1) header.generator = reader.string();
    else if (field === 2) header.epoch = reader.varint();
    else if (field === 3) header.seq = reader.varint();
    else if (field === 4) header.receivedAt = reader.varint();
    else if (kind) [decoded.kind, decoded.start, decoded.end] = [kind, ...reader.lengthDelimited()];
    else reader.skip(tag & 7);
  }
  return decoded;
}
