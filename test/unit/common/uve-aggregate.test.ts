import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  aggregateUve,
  perSource,
  type AggregatedUve,
  type AttributeAggregation,
  type PerSourceListing,
  type UvePart,
} from '../../../common/model/uve-aggregate.js';

const AGENT_1 = 'compute-1:Compute:contrail-vrouter-agent:0';
const AGENT_2 = 'compute-2:Compute:contrail-vrouter-agent:0';
const AGENT_3 = 'compute-3:Compute:contrail-vrouter-agent:0';
const CONFIG = 'config-1:Config:contrail-schema:0';
const NODEMGR = 'compute-1:Compute:contrail-vrouter-nodemgr:0';

const SUM: AttributeAggregation = { agg: 'sum' };
const UNION: AttributeAggregation = { agg: 'union' };
const APPEND: AttributeAggregation = { agg: 'append' };
const NONE: AttributeAggregation = { agg: 'none' };

function part(
  generator: string,
  struct: string,
  attributes: Record<string, unknown>,
  aggregation: Record<string, AttributeAggregation> = {},
  time = 1,
): UvePart {
  return { generator, struct, attributes, aggregation, time };
}

// JSON.parse keeps a "__proto__" key as an own property, as the parts' parsed attributes would.
function json(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

function listing(...pairs: [unknown, string][]): PerSourceListing {
  return pairs.map(([value, source]) => ({ value, source }));
}

interface Case {
  name: string;
  parts: UvePart[];
  expected: AggregatedUve;
}

const VN = 'UveVirtualNetworkAgent';

const cases: Case[] = [
  {
    name: 'sum adds a counter over three vRouters',
    parts: [
      part(AGENT_1, VN, { in_bytes: 100, in_tpkts: 1 }, { in_bytes: SUM, in_tpkts: SUM }),
      part(AGENT_2, VN, { in_bytes: 250, in_tpkts: 2 }, { in_bytes: SUM, in_tpkts: SUM }),
      part(AGENT_3, VN, { in_bytes: 50, in_tpkts: 3 }, { in_bytes: SUM, in_tpkts: SUM }),
    ],
    expected: { [VN]: { in_bytes: 400, in_tpkts: 6 } },
  },
  {
    name: 'sum reads decimal integer strings (proto3 JSON u64) and keeps totals past 2^53 exact',
    parts: [
      part(AGENT_1, VN, { in_bytes: '9007199254740993', out_bytes: '10' }, { in_bytes: SUM, out_bytes: SUM }),
      part(AGENT_2, VN, { in_bytes: 2, out_bytes: 5 }, { in_bytes: SUM, out_bytes: SUM }),
    ],
    expected: { [VN]: { in_bytes: '9007199254740995', out_bytes: 15 } },
  },
  {
    name: 'sum with a non-number falls back to the per-source listing',
    parts: [
      part(AGENT_2, VN, { in_bytes: 'n/a' }, { in_bytes: SUM }),
      part(AGENT_1, VN, { in_bytes: 7 }, { in_bytes: SUM }),
      part(AGENT_3, VN, { in_bytes: '1.5' }, { in_bytes: SUM }),
    ],
    expected: { [VN]: { in_bytes: listing([7, AGENT_1], ['n/a', AGENT_2], ['1.5', AGENT_3]) } },
  },
  {
    name: 'sum of structs adds their integer fields and drops the others (TF _struct_sum_agg)',
    parts: [
      part(AGENT_1, VN, { ifstats: { name: 'foo', inbytes: 4 } }, { ifstats: SUM }),
      part(AGENT_2, VN, { ifstats: { inbytes: 7, outbytes: 1 } }, { ifstats: SUM }),
    ],
    expected: { [VN]: { ifstats: { inbytes: 11, outbytes: 1 } } },
  },
  {
    name: 'union drops duplicates, deep-equal objects included, first seen first by generator',
    parts: [
      part(AGENT_2, VN, { vm_list: ['vm-b', 'vm-c'], acl: [{ b: 2, a: 1 }] }, { vm_list: UNION, acl: UNION }),
      part(AGENT_1, VN, { vm_list: ['vm-b', 'vm-a'], acl: [{ a: 1, b: 2 }] }, { vm_list: UNION, acl: UNION }),
      part(AGENT_3, VN, { vm_list: ['vm-a'], acl: [{ a: 1, b: 3 }] }, { vm_list: UNION, acl: UNION }),
    ],
    expected: {
      [VN]: {
        vm_list: ['vm-b', 'vm-a', 'vm-c'],
        acl: [
          { a: 1, b: 2 },
          { a: 1, b: 3 },
        ],
      },
    },
  },
  {
    name: 'union over a non-list falls back to the default aggregation',
    parts: [
      part(AGENT_1, VN, { vm_list: ['vm-a'] }, { vm_list: UNION }),
      part(AGENT_2, VN, { vm_list: 'vm-b' }, { vm_list: UNION }),
    ],
    expected: { [VN]: { vm_list: listing([['vm-a'], AGENT_1], ['vm-b', AGENT_2]) } },
  },
  {
    name: 'append without listKey concatenates in generator order and keeps duplicates',
    parts: [
      part(AGENT_2, VN, { events: ['up', 'down'] }, { events: APPEND }),
      part(AGENT_1, VN, { events: ['up'] }, { events: APPEND }),
    ],
    expected: { [VN]: { events: ['up', 'up', 'down'] } },
  },
  {
    name: 'append with listKey merges by key: integers summed, other fields from the first (TF in_stats)',
    parts: [
      part(
        AGENT_1,
        VN,
        {
          in_stats: [
            { other_vn: 'vn-01', bytes: 1000, tpkts: 10, state: 'a' },
            { other_vn: 'vn-02', bytes: 1800, tpkts: 18, state: 'a' },
          ],
        },
        { in_stats: { agg: 'append', listKey: 'other_vn' } },
      ),
      part(
        AGENT_2,
        VN,
        {
          in_stats: [
            { other_vn: 'vn-02', bytes: '1200', tpkts: 12, state: 'b', drops: 1 },
            { other_vn: 'vn-03', bytes: 1500, tpkts: 15, state: 'b' },
          ],
        },
        { in_stats: { agg: 'append', listKey: 'other_vn' } },
      ),
    ],
    expected: {
      [VN]: {
        in_stats: [
          { other_vn: 'vn-01', bytes: 1000, tpkts: 10, state: 'a' },
          { other_vn: 'vn-02', bytes: 3000, tpkts: 30, state: 'a', drops: 1 },
          { other_vn: 'vn-03', bytes: 1500, tpkts: 15, state: 'b' },
        ],
      },
    },
  },
  {
    name: 'append keyed by ip (xmpp peers): first generator wins the status, flaps add up',
    parts: [
      part(
        AGENT_2,
        'VrouterAgent',
        { xmpp_peer_list: [{ ip: '10.0.0.1', status: 'Down', flaps: 2 }] },
        { xmpp_peer_list: { agg: 'append', listKey: 'ip' } },
      ),
      part(
        AGENT_1,
        'VrouterAgent',
        {
          xmpp_peer_list: [
            { ip: '10.0.0.1', status: 'Up', flaps: 1 },
            { ip: '10.0.0.2', status: 'Up', flaps: 0 },
          ],
        },
        { xmpp_peer_list: { agg: 'append', listKey: 'ip' } },
      ),
    ],
    expected: {
      VrouterAgent: {
        xmpp_peer_list: [
          { ip: '10.0.0.1', status: 'Up', flaps: 3 },
          { ip: '10.0.0.2', status: 'Up', flaps: 0 },
        ],
      },
    },
  },
  {
    name: 'append keyed by a numeric field sums the counters, never the key',
    parts: [
      part(AGENT_1, VN, { vlans: [{ vlan: 100, pkts: 1 }] }, { vlans: { agg: 'append', listKey: 'vlan' } }),
      part(AGENT_2, VN, { vlans: [{ vlan: 100, pkts: 2 }] }, { vlans: { agg: 'append', listKey: 'vlan' } }),
    ],
    expected: { [VN]: { vlans: [{ vlan: 100, pkts: 3 }] } },
  },
  {
    name: 'append keyed by module_id keeps items that lack the key or are not objects unmerged',
    parts: [
      part(
        NODEMGR,
        'NodeStatus',
        {
          process_status: [
            { module_id: 'contrail-vrouter-agent', state: 'Functional' },
            'junk',
            { state: 'Stopped' },
          ],
        },
        { process_status: { agg: 'append', listKey: 'module_id' } },
      ),
      part(
        AGENT_1,
        'NodeStatus',
        {
          process_status: [{ state: 'Initializing' }, { module_id: 'contrail-vrouter-agent', state: 'Init' }],
        },
        { process_status: { agg: 'append', listKey: 'module_id' } },
      ),
    ],
    expected: {
      NodeStatus: {
        process_status: [
          { state: 'Initializing' },
          { module_id: 'contrail-vrouter-agent', state: 'Init' },
          'junk',
          { state: 'Stopped' },
        ],
      },
    },
  },
  {
    name: 'equal none-values collapse to one, nested objects compared regardless of key order',
    parts: [
      part(
        AGENT_1,
        VN,
        { policy: { name: 'p', rules: [{ a: 1, b: [1, 2] }] }, acl_rules: 4 },
        { acl_rules: NONE },
      ),
      part(AGENT_2, VN, { policy: { rules: [{ b: [1, 2], a: 1 }], name: 'p' }, acl_rules: 4 }),
    ],
    expected: { [VN]: { policy: { name: 'p', rules: [{ a: 1, b: [1, 2] }] }, acl_rules: 4 } },
  },
  {
    name: 'differing none-values are listed per source, ordered by source',
    parts: [
      part(AGENT_3, VN, { acl_rules: 5 }),
      part(AGENT_1, VN, { acl_rules: 4 }),
      part(AGENT_2, VN, { acl_rules: 4 }),
    ],
    expected: { [VN]: { acl_rules: listing([4, AGENT_1], [4, AGENT_2], [5, AGENT_3]) } },
  },
  {
    name: 'nested objects differing deep down are listed per source',
    parts: [
      part(AGENT_2, VN, { policy: { name: 'p', rules: [{ a: 1, b: [1, 3] }] } }),
      part(AGENT_1, VN, { policy: { name: 'p', rules: [{ a: 1, b: [1, 2] }] } }),
    ],
    expected: {
      [VN]: {
        policy: listing(
          [{ name: 'p', rules: [{ a: 1, b: [1, 2] }] }, AGENT_1],
          [{ name: 'p', rules: [{ a: 1, b: [1, 3] }] }, AGENT_2],
        ),
      },
    },
  },
  {
    name: 'an attribute from one source passes through as is, whatever its aggtype',
    parts: [
      part(
        AGENT_1,
        VN,
        {
          in_bytes: '12',
          vm_list: ['vm-a', 'vm-a'],
          in_stats: [
            { other_vn: 'vn-01', bytes: 1 },
            { other_vn: 'vn-01', bytes: 2 },
          ],
          acl_rules: 3,
        },
        { in_bytes: SUM, vm_list: UNION, in_stats: { agg: 'append', listKey: 'other_vn' } },
      ),
      part(AGENT_2, VN, { acl_rules: 3 }),
    ],
    expected: {
      [VN]: {
        in_bytes: '12',
        vm_list: ['vm-a', 'vm-a'],
        in_stats: [
          { other_vn: 'vn-01', bytes: 1 },
          { other_vn: 'vn-01', bytes: 2 },
        ],
        acl_rules: 3,
      },
    },
  },
  {
    name: 'mixed structs in one UVE are aggregated each over its own sources',
    parts: [
      part(AGENT_1, 'VrouterAgent', { vn_count: 2, build: 'r1' }, { vn_count: SUM }),
      part(NODEMGR, 'NodeStatus', { status: 'Functional' }),
      part(AGENT_1, 'NodeStatus', { status: 'Functional', disk: 40 }),
      part(AGENT_2, 'VrouterAgent', { vn_count: 3, build: 'r2' }, { vn_count: SUM }),
    ],
    expected: {
      NodeStatus: { status: 'Functional', disk: 40 },
      VrouterAgent: { vn_count: 5, build: listing(['r1', AGENT_1], ['r2', AGENT_2]) },
    },
  },
  {
    name: 'sources disagreeing on the aggtype: the newest part decides (here none)',
    parts: [part(AGENT_1, VN, { total: 4 }, { total: SUM }, 100), part(AGENT_2, VN, { total: 5 }, {}, 200)],
    expected: { [VN]: { total: listing([4, AGENT_1], [5, AGENT_2]) } },
  },
  {
    name: 'sources disagreeing on the aggtype: the newest part decides (here sum)',
    parts: [part(AGENT_1, VN, { total: 4 }, { total: SUM }, 300), part(AGENT_2, VN, { total: 5 }, {}, 200)],
    expected: { [VN]: { total: 9 } },
  },
  {
    name: 'field names such as __proto__ stay plain data, in attributes and in merged list items',
    parts: [
      part(AGENT_1, VN, json('{"__proto__": {"x": 1}, "toString": 2, "peers": [{"ip": "a"}]}'), {
        peers: { agg: 'append', listKey: 'ip' },
      }),
      // Newer, so its aggtypes decide; AGENT_1 has no entry for toString, which must not read the prototype's.
      part(
        AGENT_2,
        VN,
        json('{"__proto__": {"x": 1}, "toString": 3, "peers": [{"ip": "a", "__proto__": 1}]}'),
        { toString: SUM, peers: { agg: 'append', listKey: 'ip' } },
        2,
      ),
    ],
    expected: {
      [VN]: json('{"__proto__": {"x": 1}, "toString": 5, "peers": [{"ip": "a", "__proto__": 1}]}'),
    },
  },
  {
    name: 'no parts, no structs',
    parts: [],
    expected: {},
  },
];

describe('aggregateUve', () => {
  for (const { name, parts, expected } of cases) {
    it(name, () => {
      const before = structuredClone(parts);
      assert.deepStrictEqual(aggregateUve(parts), expected);
      // Generator order, not arrival order, decides; and the caller's parts are left alone.
      assert.deepStrictEqual(aggregateUve([...parts].reverse()), expected);
      assert.deepStrictEqual(parts, before);
    });
  }

  it('orders structs and attributes deterministically', () => {
    const parts = [
      part(AGENT_2, 'VrouterAgent', { b: 1, a: 1 }),
      part(AGENT_1, 'NodeStatus', { z: 1 }),
      part(AGENT_1, 'VrouterAgent', { c: 1 }),
    ];
    const result = aggregateUve(parts);
    assert.deepStrictEqual(Object.keys(result), ['NodeStatus', 'VrouterAgent']);
    assert.deepStrictEqual(Object.keys(result['VrouterAgent'] ?? {}), ['c', 'b', 'a']);
  });
});

describe('perSource', () => {
  it('lists struct → generator → attributes, sorted, the newest part of a repeated generator winning', () => {
    const parts = [
      part(AGENT_2, 'VrouterAgent', { vn_count: 3 }),
      part(CONFIG, 'UveVirtualNetworkConfig', { total_acl_rules: 2 }),
      part(AGENT_1, 'VrouterAgent', { vn_count: 1 }, {}, 5),
      part(AGENT_1, 'VrouterAgent', { vn_count: 2 }, {}, 9),
    ];
    const expected = {
      UveVirtualNetworkConfig: { [CONFIG]: { total_acl_rules: 2 } },
      VrouterAgent: { [AGENT_1]: { vn_count: 2 }, [AGENT_2]: { vn_count: 3 } },
    };
    const result = perSource(parts);
    assert.deepStrictEqual(result, expected);
    assert.deepStrictEqual(Object.keys(result), ['UveVirtualNetworkConfig', 'VrouterAgent']);
    assert.deepStrictEqual(Object.keys(result['VrouterAgent'] ?? {}), [AGENT_1, AGENT_2]);
    assert.deepStrictEqual(aggregateUve(parts)['VrouterAgent'], {
      vn_count: listing([2, AGENT_1], [3, AGENT_2]),
    });
  });
});
