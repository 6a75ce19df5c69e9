import {
  BatchStampSchema,
  BusBatchSchema,
  busPayloadKindOf,
  BusPayloadField,
  file_fabricscope_v1_records,
  wireTag,
  type BatchStamp,
  type BusPayloadKind,
  type Fields,
} from '../proto.js';
import { forEachRecord } from '../wire/frames.js';
import { WireReader, WireType } from '../wire/reader.js';
import { putVarint, varintSize } from '../wire/writer.js';

/**
 * The bus envelope (bus.proto BusBatch): a batch as the collector accepted it, with its header (who
 * sent it, its id, when it arrived). Every consumer of the bus reads it here; the records stay in
 * the bytes they arrived in, and the writer frames them as warehouse rows with their batch stamp.
 */

/** BusBatch's header field numbers. */
const BUS = {
  generator: BusBatchSchema.field.generator.number,
  epoch: BusBatchSchema.field.epoch.number,
  seq: BusBatchSchema.field.seq.number,
  receivedAt: BusBatchSchema.field.receivedAt.number,
};

/** The tag of a field that every <Kind>Row of records.proto has, alike in all of them (checked when loaded). */
function rowTag(name: string): number {
  const rows = file_fabricscope_v1_records.messages.filter((m) => m.name.endsWith('Row'));
  const tags = new Set(
    rows.map((row) => row.fields.find((f) => f.name === name)).map((f) => f && wireTag(f)),
  );
  const [tag, ...others] = tags;
  if (tag === undefined || others.length > 0) throw new Error(`the <Kind>Row messages differ in ${name}`);
  return tag;
}
const ROW_RECORD = rowTag('record');
const ROW_STAMP = rowTag('stamp');

/** A batch's header: who sent it, its id, when it arrived (BusBatch and BatchStamp share these fields). */
export type BusBatchHeader = Fields<BatchStamp>;

/** The identity of a batch: (generator, epoch, seq) makes a resend recognisable downstream. */
export type BatchId = Omit<BusBatchHeader, 'receivedAt'>;

/**
 * Encodes a BusBatch (bus.proto) around an already-encoded *Batch payload, copying the payload once
 * instead of decoding and re-encoding its records.
 */
export function encodeBusBatch(header: BusBatchHeader, kind: BusPayloadKind, payload: Buffer): Buffer {
  const head = encodeHeader(header);
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
    if (field === BUS.generator) header.generator = reader.string();
    else if (field === BUS.epoch) header.epoch = reader.varint();
    else if (field === BUS.seq) header.seq = reader.varint();
    else if (field === BUS.receivedAt) header.receivedAt = reader.varint();
    else if (kind) [decoded.kind, decoded.start, decoded.end] = [kind, ...reader.lengthDelimited()];
    else reader.skip(tag & 7);
  }
  return decoded;
}

/**
 * The header's fields, as BusBatch and BatchStamp both number them (checked when loaded), written
 * by hand as protobuf writes them (in field order, zero values left out): protobuf-es's encoder took
 * 15 µs a header, 2.4% of the pipeline's JavaScript at 1,500 one-UVE batches/s (bench/alarms.ts).
 */
function encodeHeader({ generator, epoch, seq, receivedAt }: BusBatchHeader): Buffer {
  const name = Buffer.from(generator, 'utf8');
  const numbers = [
    [BUS.epoch, epoch],
    [BUS.seq, seq],
    [BUS.receivedAt, receivedAt],
  ].filter(([, value]) => value !== 0) as [number, number][];
  const nameSize = name.length > 0 ? varintSize(GENERATOR_TAG) + varintSize(name.length) + name.length : 0;
  const size = numbers.reduce(
    (n, [field, value]) => n + varintSize(field << 3) + varintSize(value),
    nameSize,
  );
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  if (name.length > 0) {
    pos = putVarint(out, putVarint(out, pos, GENERATOR_TAG), name.length);
    pos += name.copy(out, pos);
  }
  for (const [field, value] of numbers) pos = putVarint(out, putVarint(out, pos, field << 3), value);
  return out;
}

const GENERATOR_TAG = (BUS.generator << 3) | WireType.LEN;

// encodeHeader writes either message: their header fields must be numbered and typed alike.
for (const [name, number] of Object.entries(BUS)) {
  const field = BatchStampSchema.fields.find((f) => f.number === number);
  if (
    field === undefined ||
    wireTag(field) !== wireTag(BusBatchSchema.fields.find((f) => f.number === number)!)
  )
    throw new Error(`BatchStamp and BusBatch differ in ${name}`);
}

/** BatchStamp as the stamp of a <Kind>Row, encoded once per batch and appended to each of its records. */
export function encodeStamp(header: BusBatchHeader): Buffer {
  const body = encodeHeader(header);
  const out = Buffer.allocUnsafe(varintSize(ROW_STAMP) + varintSize(body.length) + body.length);
  out.set(body, putVarint(out, putVarint(out, 0, ROW_STAMP), body.length));
  return out;
}

/** Frames each record as a length-prefixed <Kind>Row { record = 1; stamp = 2 } with a copy, no decode. */
export function frameRows(
  buf: Buffer,
  start: number,
  end: number,
  stampBytes: Buffer,
): { bytes: Buffer; rows: number } {
  const ranges: [number, number][] = [];
  let size = 0;
  forEachRecord(buf, start, end, (s, e) => {
    const row = varintSize(ROW_RECORD) + varintSize(e - s) + (e - s) + stampBytes.length;
    size += varintSize(row) + row;
    ranges.push([s, e]);
  });
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [s, e] of ranges) {
    pos = putVarint(out, pos, varintSize(ROW_RECORD) + varintSize(e - s) + (e - s) + stampBytes.length);
    pos = putVarint(out, pos, ROW_RECORD);
    pos = putVarint(out, pos, e - s);
    pos += buf.copy(out, pos, s, e);
    pos += stampBytes.copy(out, pos);
  }
  return { bytes: out, rows: ranges.length };
}
