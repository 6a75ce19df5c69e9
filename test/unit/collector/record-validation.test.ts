import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescMessage } from '@bufbuild/protobuf';
import { checkInterfaceStatsRecord } from '../../../collector/validation/interface-stats.js';
import type { RecordCheck } from '../../../collector/validation/record.js';
import { checkRouteRecord } from '../../../collector/validation/route.js';
import { uveCheck } from '../../../collector/validation/uve.js';
import {
  encodeFields,
  InterfaceStatsSchema,
  RouteEventSchema,
  UveUpdateSchema,
} from '../../../common/proto.js';

const nowUs = Date.UTC(2026, 10, 23) * 1000;

const goodUve = {
  type: 'virtual-network',
  name: 'default-domain:admin:vn1',
  struct_type: 'UveVirtualNetworkAgent',
  attributes_json: '{"in_bytes": 5, "interface_list": ["a"]}',
  aggregation: { in_bytes: { agg: 1 }, xmpp_peer_list: { agg: 3, list_key: 'ip' } },
  timestamp: nowUs,
};
const goodRoute = {
  routing_instance: 'default-domain:admin:vn1:vn1',
  family: 'inet',
  prefix: '10.1.0.0/24',
  op: 1,
  next_hops: [{ tunnel_type: 'MPLSoUDP', destination: Buffer.from([192, 168, 0, 2]), label: 17 }],
  protocol: 'xmpp',
  peer: '192.168.0.2',
};
const goodStats = {
  vmi_uuid: Buffer.alloc(16, 3),
  vrouter: 'compute-1',
  in_bytes: 10,
  drops: { SHORT_ACL_DENY: 1 },
};

/** Encodes base ⊕ overrides and runs the check on the bytes, as the collector does. */
function checker(schema: DescMessage, check: RecordCheck, base: object) {
  return (overrides: object) => {
    const buf = encodeFields(schema, { ...base, ...overrides });
    return check(buf, 0, buf.length, nowUs);
  };
}

const cases: [kind: string, run: (o: object) => unknown, overrides: object, field: string, reason: RegExp][] =
  [];
const uve = checker(UveUpdateSchema, uveCheck(1024), goodUve);
const route = checker(RouteEventSchema, checkRouteRecord, goodRoute);
const stats = checker(InterfaceStatsSchema, checkInterfaceStatsRecord, goodStats);
cases.push(
  ['uve', uve, { type: '' }, 'type', /missing/],
  ['uve', uve, { type: 'VirtualNetwork' }, 'type', /lower-case/],
  ['uve', uve, { name: ' ' }, 'name', /missing/],
  ['uve', uve, { struct_type: '' }, 'struct_type', /missing/],
  ['uve', uve, { attributes_json: '{"a":' }, 'attributes_json', /not JSON/],
  ['uve', uve, { attributes_json: '[1,2]' }, 'attributes_json', /JSON object/],
  ['uve', uve, { attributes_json: JSON.stringify({ big: 'x'.repeat(2000) }) }, 'record', /at most 1024/],
  ['uve', uve, { aggregation: { a: { agg: 9 } } }, 'aggregation[a]', /unknown aggtype 9/],
  ['uve', uve, { aggregation: { a: { agg: 1, list_key: 'k' } } }, 'aggregation[a]', /needs AGG_APPEND/],
  ['uve', uve, { timestamp: 12345 }, 'timestamp', /not microseconds/],
  ['route', route, { routing_instance: '' }, 'routing_instance', /missing/],
  ['route', route, { family: 'ipx' }, 'family', /inet, inet6 or evpn/],
  ['route', route, { prefix: '10.1.0.0' }, 'prefix', /not an inet CIDR/],
  ['route', route, { prefix: '10.1.0.0/33' }, 'prefix', /not an inet CIDR/],
  ['route', route, { prefix: '2001:db8::/64' }, 'prefix', /not an inet CIDR/],
  ['route', route, { family: 'inet6', prefix: '2001:db8::/129' }, 'prefix', /not an inet6 CIDR/],
  ['route', route, { op: 0 }, 'op', /ADD or DELETE/],
  ['route', route, { next_hops: [] }, 'next_hops', /an ADD needs one/],
  ['route', route, { next_hops: [{ destination: Buffer.alloc(5) }] }, 'next_hops[0].destination', /5 bytes/],
  ['route', route, { next_hops: [{ tunnel_type: 'GRE' }] }, 'next_hops[0].tunnel_type', /MPLSoUDP/],
  ['route', route, { protocol: 'ospf' }, 'protocol', /xmpp, bgp/],
  ['stats', stats, { vmi_uuid: Buffer.alloc(4) }, 'vmi_uuid', /4 bytes; must be 16/],
  ['stats', stats, { vrouter: '' }, 'vrouter', /missing/],
  ['stats', stats, { drops: { '': 1 } }, 'drops', /missing/],
  ['stats', stats, { timestamp: nowUs + 7200e6 }, 'timestamp', /future/],
);

describe('UVE, route and interface-stats record validation', () => {
  it('accepts well-formed records, a deletion without attributes, evpn and IPv6 routes, a DELETE without next hops', () => {
    assert.equal(uve({}), undefined);
    assert.equal(uve({ attributes_json: '', deleted: true }), undefined);
    assert.equal(route({}), undefined);
    assert.equal(route({ family: 'inet6', prefix: '2001:db8::/64' }), undefined);
    assert.equal(route({ family: 'evpn', prefix: '2-00:11:22:33:44:55,10.1.0.5' }), undefined);
    assert.equal(route({ op: 2, next_hops: [] }), undefined);
    assert.equal(stats({}), undefined);
  });

  for (const [kind, run, overrides, field, reason] of cases) {
    it(`${kind}: refuses ${JSON.stringify(overrides).slice(0, 60)}, naming ${field}`, () => {
      const problem = run(overrides) as { field: string; reason: string } | undefined;
      assert.equal(problem?.field, field);
      assert.match(problem.reason, reason);
    });
  }

  it('refuses bytes that are not protobuf, naming the record', () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff]);
    for (const check of [uveCheck(1024), checkRouteRecord, checkInterfaceStatsRecord]) {
      assert.match(check(garbage, 0, garbage.length, nowUs)?.reason ?? '', /malformed protobuf/);
    }
  });

  it('refuses text that is not UTF-8, as proto3 requires of strings, naming the record', () => {
    const notUtf8 = Buffer.from([0x0a, 0x02, 0xc3, 0x28]); // field 1, a string in both: bytes C3 28
    for (const check of [uveCheck(1024), checkRouteRecord]) {
      const problem = check(notUtf8, 0, notUtf8.length, nowUs);
      assert.equal(problem?.field, 'record');
      assert.match(problem?.reason ?? '', /malformed protobuf: .*utf-8/);
    }
  });
});
