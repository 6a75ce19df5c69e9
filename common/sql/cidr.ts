import { isIP } from 'node:net';
import { invalid } from '../errors.js';

/**
 * Addresses and CIDR prefixes as users write them, IPv4 or IPv6. The warehouse keeps both families
 * in IPv6 columns, IPv4 in its IPv4-mapped form (::ffff:a.b.c.d), so lengths are counted in that
 * space: an IPv4 /24 is an IPv6 /120. A zone (fe80::1%eth0) names no stored address: it is refused
 * here, as ClickHouse would refuse it later.
 */

export interface Address {
  family: 4 | 6;
  /** As written: ClickHouse's toIPv6 reads both families, IPv4 into its mapped form. */
  address: string;
}

export interface Cidr extends Address {
  /** The prefix length in the IPv6 column: an IPv4 length plus 96. */
  bits: number;
}

type Accepted = 'address' | 'cidr' | 'either';

const expected: Record<Accepted, string> = {
  address: 'an IPv4 or IPv6 address',
  cidr: 'an IPv4 or IPv6 CIDR',
  either: 'an IP address or CIDR',
};

/** An address, or an error naming the argument `what` and the text. */
export const parseAddress = (text: string, what: string): Address => parse(text, what, 'address');

/** A CIDR prefix (the length required), or an error naming the argument `what` and the text. */
export const parseCidr = (text: string, what: string): Cidr => parse(text, what, 'cidr');

/** An address or a CIDR prefix, or an error naming the argument `what` and the text. */
export const parseAddressOrCidr = (text: string, what: string): Address | Cidr => parse(text, what, 'either');

function parse(text: string, what: string, accepted: 'address'): Address;
function parse(text: string, what: string, accepted: 'cidr'): Cidr;
function parse(text: string, what: string, accepted: Accepted): Address | Cidr;
function parse(text: string, what: string, accepted: Accepted): Address | Cidr {
  const [address = '', length, extra] = text.split('/');
  const family = address.includes('%') ? 0 : isIP(address);
  const shaped = length === undefined ? accepted !== 'cidr' : accepted !== 'address' && /^\d+$/.test(length);
  if ((family !== 4 && family !== 6) || extra !== undefined || !shaped)
    throw invalid(`${what}: "${text}" is not ${expected[accepted]}`);
  if (length === undefined) return { family, address };
  const max = family === 4 ? 32 : 128;
  if (Number(length) > max) throw invalid(`${what}: "${text}" has a prefix length above ${max}`);
  return { family, address, bits: family === 4 ? Number(length) + 96 : Number(length) };
}
