import { isIPv4, isIPv6 } from 'node:net';

/** IP address text ↔ the contract's raw network-order bytes (4 for IPv4, 16 for IPv6). */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (isIPv6(ip)) return ipv6ToBytes(ip);
  throw new Error(`not an IP address: ${ip}`);
}

function ipv6ToBytes(ip: string): Uint8Array {
  const [head = '', tail] = ip.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  const all = [...left, ...Array<string>(missing).fill('0'), ...right];
  const out = new Uint8Array(16);
  all.forEach((group, i) => {
    const v = parseInt(group, 16);
    out[i * 2] = v >>> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

export const ipv4ToInt = (ip: string): number =>
  ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);

export const intToIpv4 = (n: number): string =>
  [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

export const familyOf = (ip: string): 'v4' | 'v6' => (isIPv4(ip) ? 'v4' : 'v6');

/** CIDR membership: exact for IPv4; for IPv6 only the prefixes the simulated fabric uses (/0, /64). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base = '', bitsText = '0'] = cidr.split('/');
  const bits = Number(bitsText);
  if (familyOf(base) !== familyOf(ip)) return false;
  if (bits === 0) return true;
  if (familyOf(ip) === 'v4') {
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    return (ipv4ToInt(base) & mask) >>> 0 === (ipv4ToInt(ip) & mask) >>> 0;
  }
  const a = ipToBytes(base);
  const b = ipToBytes(ip);
  for (let i = 0; i < bits / 8; i++) if (a[i] !== b[i]) return false;
  return true;
}
