import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Warehouse } from '../../../common/warehouse/warehouse.js';
import { ruleNames } from '../../../query/flows/rules.js';

const GROUP = 'default-domain:k8s-payments:k8s-payments-db-allow-same-namespace';
const POLICY = 'default-domain:k8s-test-isolated-ns:k8s-test-isolated-ns-isolation-np';

/** Rows as the rule lookup returns them: the holder, the rule's number and the rule as JSON text. */
const rows = [
  {
    type: 'security-group',
    name: GROUP,
    position: 1,
    rule: JSON.stringify({
      rule_uuid: 'a1',
      direction: '>',
      ethertype: 'IPv4',
      protocol: 'tcp',
      src_addresses: [{ security_group: 'default-domain:k8s-payments:k8s-payments-default-sg' }],
      dst_addresses: [{ security_group: 'local' }],
      src_ports: [{ start_port: 0, end_port: 65535 }],
      dst_ports: [{ start_port: 5432, end_port: 5432 }],
    }),
  },
  {
    type: 'security-group',
    name: GROUP,
    position: 2,
    rule: JSON.stringify({
      rule_uuid: 'a2',
      ethertype: 'IPv4',
      protocol: 'any',
      src_addresses: [{ security_group: 'local' }],
      dst_addresses: [{ subnet: { ip_prefix: '0.0.0.0', ip_prefix_len: 0 } }],
      dst_ports: [{ start_port: 0, end_port: 65535 }],
    }),
  },
  {
    type: 'network-policy',
    name: POLICY,
    position: 4,
    rule: JSON.stringify({
      rule_uuid: 'p4',
      action_list: { simple_action: 'deny' },
      protocol: 'any',
      src_addresses: [{ virtual_network: 'any' }],
      dst_addresses: [
        { virtual_network: 'default-domain:k8s-test-isolated-ns:k8s-test-isolated-ns-pod-network' },
      ],
      dst_ports: [{ start_port: 0, end_port: 65535 }],
    }),
  },
];

/** A warehouse that answers every read with the rows above and counts the reads and uuids asked. */
function countingWarehouse() {
  const asked: string[][] = [];
  const warehouse = {
    query: async (_sql: string, params: Record<string, unknown>) => {
      asked.push(Object.values(params).flat() as string[]);
      return rows;
    },
  } as unknown as Warehouse;
  return { warehouse, asked };
}

describe('rule names', () => {
  it('reads every uuid a request asks for in one query, each once', async () => {
    const { warehouse, asked } = countingWarehouse();
    const resolve = ruleNames(warehouse);
    const uuids = Array.from({ length: 40 }, (_, i) => ['a1', 'a2', 'p4', 'gone'][i % 4]!);
    const refs = await Promise.all(uuids.map(resolve));
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0]!.sort(), ['a1', 'a2', 'gone', 'p4']);
    assert.equal(refs.filter((r) => r === null).length, 10, 'a uuid the configuration lacks is null');
  });

  it('names the group or policy, the rule number and the rule as text', async () => {
    const resolve = ruleNames(countingWarehouse().warehouse);
    assert.deepEqual(await resolve('a1'), {
      uuid: 'a1',
      kind: 'SECURITY_GROUP_RULE',
      owner: GROUP,
      number: 1,
      action: 'pass',
      text: 'ingress IPv4 tcp port 5432 from group default-domain:k8s-payments:k8s-payments-default-sg',
    });
    assert.equal((await resolve('a2'))?.text, 'egress IPv4 any to 0.0.0.0/0');
    assert.deepEqual(await resolve('p4'), {
      uuid: 'p4',
      kind: 'POLICY_ENTRY',
      owner: POLICY,
      number: 4,
      action: 'deny',
      text: 'deny any from any to default-domain:k8s-test-isolated-ns:k8s-test-isolated-ns-pod-network',
    });
  });

  it("knows TF's implicit uuids without reading, and an empty uuid is none", async () => {
    const { warehouse, asked } = countingWarehouse();
    const resolve = ruleNames(warehouse);
    assert.equal(
      (await resolve('00000000-0000-0000-0000-000000000002'))?.text,
      'implicit deny (no rule admits it)',
    );
    assert.equal((await resolve('00000000-0000-0000-0000-000000000001'))?.action, 'pass');
    assert.equal(await resolve(''), null);
    assert.equal(asked.length, 0);
  });
});
