import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseAddress, parseAddressOrCidr, parseCidr } from '../../../common/sql/cidr.js';
import { cursorCodec } from '../../../query/shared/cursor.js';
import { afterPosition } from '../../../common/sql/keyset.js';
import { keysetPage } from '../../../query/shared/paging.js';
import { Params } from '../../../common/sql/params.js';

describe('user-given addresses and CIDR prefixes', () => {
  it('counts lengths in the IPv6 column, IPv4 in its mapped form', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8', 'prefix'), { family: 4, address: '10.0.0.0', bits: 104 });
    assert.deepEqual(parseCidr('2001:db8::/32', 'prefix'), { family: 6, address: '2001:db8::', bits: 32 });
    assert.deepEqual(parseAddressOrCidr('10.1.2.3', 'filter.ip'), { family: 4, address: '10.1.2.3' });
    assert.deepEqual(parseAddress('2001:db8::1', 'address'), { family: 6, address: '2001:db8::1' });
  });

  it('names the argument and the value it refuses', () => {
    assert.throws(
      () => parseCidr('10.0.0.0', 'prefix'),
      /^FabricError: prefix: "10.0.0.0" is not an IPv4 or IPv6 CIDR$/,
    );
    assert.throws(
      () => parseCidr('10.0.0.0/33', 'prefix'),
      /prefix: "10.0.0.0\/33" has a prefix length above 32/,
    );
    assert.throws(() => parseCidr('::/129', 'within'), /within: "::\/129" has a prefix length above 128/);
    assert.throws(
      () => parseAddress('10.1.0.0/24', 'address'),
      /address: "10.1.0.0\/24" is not an IPv4 or IPv6 address/,
    );
    assert.throws(
      () => parseAddressOrCidr('10.0.0.0/x', 'filter.ip'),
      /filter.ip: "10.0.0.0\/x" is not an IP address or CIDR/,
    );
    assert.throws(() => parseAddressOrCidr('fe80::1%eth0', 'filter.ip'), /is not an IP address or CIDR/);
    assert.throws(() => parseAddressOrCidr('10.0.0.0/8/8', 'filter.ip'), /is not an IP address or CIDR/);
  });
});

describe('cursors', () => {
  const codec = cursorCodec(z.object({ at: z.int(), name: z.string() }));

  it('give back the position they were made from', () => {
    assert.deepEqual(codec.decode(codec.encode({ at: 5, name: 'a' }), 'after'), { at: 5, name: 'a' });
  });

  it('refuse, naming the argument, what the API did not hand out', () => {
    const forged = Buffer.from(JSON.stringify({ at: 'x', name: 'a' })).toString('base64url');
    for (const text of ['nope', forged, ''])
      assert.throws(
        () => codec.decode(text, 'after'),
        new RegExp(`^FabricError: after: "${text}" is not a cursor`),
      );
  });
});

describe('keyset pages', () => {
  const page = (rows: number[], first: number) =>
    keysetPage(
      first,
      async (limit) => rows.slice(0, limit),
      String,
      (n) => n * 10,
    );

  it('ask one row more than they show, to know whether another page follows', async () => {
    assert.deepEqual(await page([1, 2, 3], 2), {
      edges: [
        { cursor: '1', node: 10 },
        { cursor: '2', node: 20 },
      ],
      pageInfo: { hasNextPage: true, endCursor: '2' },
    });
    assert.deepEqual((await page([1, 2], 2)).pageInfo, { hasNextPage: false, endCursor: '2' });
    assert.deepEqual(await page([], 2), { edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('start after a position, its values in parameters', () => {
    const params = new Params();
    const key = [
      ['time', 'DateTime64(6)'],
      ['seq', 'UInt64'],
    ] as const;
    assert.equal(
      afterPosition(key, ['t', 7], 'descending', params),
      '(time, seq) < ({p0:DateTime64(6)}, {p1:UInt64})',
    );
    assert.equal(
      afterPosition(key, ['t', 7], 'ascending', params),
      '(time, seq) > ({p2:DateTime64(6)}, {p3:UInt64})',
    );
    assert.deepEqual(params.values, { p0: 't', p1: 7, p2: 't', p3: 7 });
  });
});
