/**
 * Varint writing for the hot paths that frame bytes by hand (bus envelope, warehouse rows, the
 * simulator's flow encoder): integers below 2^53, which covers µs timestamps (~2^51) and counters.
 */

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes the varint encoding of n at out[pos]; returns the position after it. */
export function putVarint(out: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    // `& 0x7f` is exact past 2^32 too: ToInt32 keeps the value modulo 2^32, a multiple of 128.
    out[pos++] = (n & 0x7f) | 0x80;
    n = n > 0x7fffffff ? Math.floor(n / 128) : n >>> 7;
  }
  out[pos++] = n;
  return pos;
}
