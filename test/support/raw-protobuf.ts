/**
 * Protobuf fields written byte by byte, as a hostile or broken sender may put them on the wire: what
 * a generated encoder would truncate or refuse to write (varints beyond 2^64, out-of-range values).
 */

/** A varint of any width (BigInt: beyond 2^53 and 2^64). */
export function varint(value: bigint): Buffer {
  const bytes: number[] = [];
  do {
    const low = Number(value & 0x7fn);
    value >>= 7n;
    bytes.push(value > 0n ? low | 0x80 : low);
  } while (value > 0n);
  return Buffer.from(bytes);
}

/** A varint field: tag and value. */
export const rawVarint = (number: number, value: bigint): Buffer =>
  Buffer.concat([varint(BigInt(number) << 3n), varint(value)]);

/** A length-delimited field: tag, length and bytes. */
export const rawLen = (number: number, bytes: Buffer): Buffer =>
  Buffer.concat([varint((BigInt(number) << 3n) | 2n), varint(BigInt(bytes.length)), bytes]);
