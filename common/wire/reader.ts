/**
 * A minimal protobuf wire reader for the hot paths (collector validation, bus envelope, writer). Records are validated and forwarded as
 * the bytes they arrived in, so no JS object is built per record; 64-bit varints are read as
 * doubles (exact up to 2^53, far beyond any microsecond timestamp or counter we check).
 */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

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
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** Reads a length prefix and returns the [start, end) of the bytes it announces. */
  lengthDelimited(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) throw new WireError('length runs past the end of the message');
    this.pos = start + length;
    return [start, this.pos];
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
        this.lengthDelimited();
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
