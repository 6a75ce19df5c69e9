import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowFilter, type ObserveFlags } from '../../../bin/observe.js';
import { compactLine, tableHeader, tableRow, type ObservedFlow } from '../../../bin/observe-format.js';

const flags = (more: Partial<ObserveFlags>): ObserveFlags => ({
  server: 'http://x/graphql',
  output: 'compact',
  ...more,
});

const denied: ObservedFlow = {
  time: '2026-12-02T07:25:43.589008Z',
  flowUuid: '00000000-0000-0000-0000-000000000001',
  vrouter: 'compute-1',
  direction: 'egress',
  sourceVn: 'vn',
  sourceIp: '10.0.0.1',
  sourcePort: 40001,
  sourceNamespace: 'dev',
  sourceWorkload: 'client-1',
  destVn: 'vn',
  destIp: 'fd00::5',
  destPort: 443,
  destNamespace: '',
  destWorkload: '',
  protocol: 6,
  action: 'deny',
  dropReason: 'SHORT_ACL_DENY',
  sgRuleUuid: 'rule-7',
  nwAceUuid: '',
};

describe('fabricscope observe', () => {
  it('turns hubble-style flags into one FlowFilter', () => {
    assert.deepEqual(
      flowFilter(
        flags({
          fromPod: 'dev/client-1',
          toPod: 'db-0',
          fromIp: ['10.0.0.0/8'],
          namespace: ['dev', 'prod'],
          verdict: ['DROPPED', 'nat'],
          port: ['443'],
          protocol: ['tcp'],
        }),
      ),
      {
        sourceNamespace: ['dev'],
        sourceWorkload: ['client-1'],
        destWorkload: ['db-0'],
        sourceIp: ['10.0.0.0/8'],
        namespace: ['dev', 'prod'],
        protocol: ['tcp'],
        port: [443],
        action: ['deny', 'drop', 'nat'],
      },
    );
    assert.throws(() => flowFilter(flags({ port: ['http'] })), /--port: "http" is not a port/);
  });

  it('prints a flow on one line as hubble does, the verdict coloured only for a terminal', () => {
    const line = 'Dec  2 07:25:43.589 compute-1 egress: dev/client-1 (10.0.0.1:40001) -> [fd00::5]:443 TCP';
    assert.equal(compactLine(denied, false), `${line} DROPPED (SHORT_ACL_DENY, sg-rule rule-7)`);
    assert.equal(
      compactLine(denied, true),
      `${line} \u001b[31mDROPPED\u001b[0m (SHORT_ACL_DENY, sg-rule rule-7)`,
    );
    assert.match(
      compactLine({ ...denied, action: 'pass', dropReason: '', sgRuleUuid: '' }, false),
      / TCP FORWARDED$/,
    );
    // The deciding rule by its group and number, as the API resolves it from the configuration.
    const sgRule = { owner: 'default-domain:dev:web', number: 2, text: 'ingress IPv4 tcp port 443' };
    assert.match(
      compactLine({ ...denied, sgRule }, false),
      /DROPPED \(SHORT_ACL_DENY, sg-rule default-domain:dev:web #2: ingress IPv4 tcp port 443\)$/,
    );
  });

  it('lines table rows up under the header', () => {
    const header = tableHeader();
    const row = tableRow(denied, false);
    assert.equal(row.indexOf('DROPPED'), header.indexOf('VERDICT'));
    assert.equal(row.indexOf('TCP'), header.indexOf('PROTO'));
  });
});
