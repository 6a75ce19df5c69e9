import { WireError, WireReader, WireType } from './reader.js';
import { putVarint, varintSize } from './writer.js';

/**
 * Walking and framing the records of a *Batch message (FlowBatch, UveBatch, …: records are field 1)
 * as byte ranges, so records travel from the collector to the warehouse without being decoded.
 */

/** Calls visit(start, end) for each record (field 1) of a *Batch message such as FlowBatch. */
export function forEachRecord(
  buf: Buffer,
  start: number,
  end: number,
  visit: (s: number, e: number) => void,
): void {
  const reader = new WireReader(buf, start, end);
  while (!reader.done()) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WireType.LEN) {
      // Read as a length, not a [start, end) pair: nothing allocated per record.
      const length = reader.lengthPrefixed();
      visit(reader.pos - length, reader.pos);
    }
    // A record that is not length-delimited cannot be read: skipped, it would be lost unsaid.
    else if (tag >>> 3 === 1) throw new WireError(`record field 1 has wire type ${tag & 7}`);
    else reader.skip(tag & 7);
  }
}

/** Frames record ranges as field 1 of a *Batch message (used when some records were refused). */
export function frameRecords(buf: Buffer, ranges: readonly [number, number][]): Buffer {
  let size = 0;
  for (const [s, e] of ranges) size += 1 + varintSize(e - s) + e - s;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [s, e] of ranges) {
    out[pos++] = (1 << 3) + WireType.LEN;
    pos = putVarint(out, pos, e - s);
    pos += buf.copy(out, pos, s, e);
  }
  return out;
}
