/**
 * A minimal protobuf wire reader for the hot paths (collector validation, bus envelope, writer). Records are validated and forwarded as
 * the bytes they arrived in, so no JS object is built per record; 64-bit varints are read as
 * doubles (exact up to 2^53, far beyond any microsecond timestamp or counter we check).
 */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/** The largest tag: field number 2^29-1, wire type 7. */
const MAX_TAG = 0xffffffff;

export class WireError extends Error {}

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const byte = this.buf[this.pos++]!;
      // The 10th byte holds bit 63 only: anything more is a value wider than 64 bits.
      if (i === 9 && byte > 1) throw new WireError('varint overflows 64 bits');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /**
   * Reads a field tag: field number in 1 .. 2^29-1 (protobuf's range), so the tag fits 32 bits.
   * Returns the tag (field number << 3 | wire type) as a number.
   */
  tag(): number {
    const tag = this.varint();
    if (tag < 8 || tag > MAX_TAG) throw new WireError(`field number ${Math.floor(tag / 8)} out of range`);
    return tag;
  }

  /**
   * Reads a length prefix, steps over the bytes it announces and returns their length: they end at
   * `pos`. Allocates nothing, for the loops that run per field of every record.
   */
  lengthPrefixed(): number {
    const length = this.varint();
    if (this.pos + length > this.end) throw new WireError('length runs past the end of the message');
    this.pos += length;
    return length;
  }

  /** Reads a length prefix and returns the [start, end) of the bytes it announces. */
  lengthDelimited(): [number, number] {
    const length = this.lengthPrefixed();
    return [this.pos - length, this.pos];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.I64:
        this.advance(8);
        return;
      case WireType.LEN:
        this.lengthPrefixed();
        return;
      case WireType.I32:
        this.advance(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${wireType}`);
    }
  }

  string(): string {
    const [start, end] = this.lengthDelimited();
    return this.buf.toString('utf8', start, end);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new WireError('truncated fixed-width field');
    this.pos += n;
  }
}
