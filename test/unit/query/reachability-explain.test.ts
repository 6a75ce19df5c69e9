import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  explainDirection,
  type DirectionContext,
  type VerdictGroup,
} from '../../../query/reachability/explain.js';

const context: DirectionContext = {
  destinationAddress: '10.0.0.9',
  sourceGroups: ['d:p:web'],
  destinationGroups: ['d:p:db'],
  sourceVrf: 'd:p:net:net',
  route: { vrf: 'd:p:net:net', prefix: '10.0.0.9/32', hops: ['MPLSoUDP to 192.168.200.12 label 17'] },
};

const group = (over: Partial<VerdictGroup>): VerdictGroup => ({
  vrouter: 'compute-1',
  side: 'SOURCE',
  direction: 'ingress',
  action: 'pass',
  dropReason: '',
  records: 10,
  packets: 20,
  lastUs: 1,
  sgRuleUuid: '',
  nwAceUuid: '',
  sgRule: null,
  nwAce: null,
  reverseHalf: false,
  ...over,
});

describe('reachability explanations', () => {
  it('names the source groups when no egress rule lets a flow out', () => {
    const out = explainDirection([group({ action: 'deny', dropReason: 'DROP_OUT_SG' })], context);
    assert.deepEqual(out, {
      verdict: 'DENIED',
      explanation:
        'denied on compute-1 ingress by security group `d:p:web`: no egress rule admits it (implicit deny) [DROP_OUT_SG]',
    });
  });

  it('says a rule uuid is not in the configuration rather than guessing', () => {
    const out = explainDirection(
      [
        group({
          action: 'deny',
          dropReason: 'DROP_POLICY',
          nwAceUuid: 'e1b0c9f2-0000-4000-8000-000000000001',
        }),
      ],
      context,
    );
    assert.equal(
      out.explanation,
      'denied on compute-1 ingress by rule e1b0c9f2-0000-4000-8000-000000000001 (not in the configuration) [DROP_POLICY]',
    );
  });

  it('takes the denial over passes on the other vRouter, and says where it passed first', () => {
    const out = explainDirection(
      [
        group({ records: 5 }),
        group({
          vrouter: 'compute-2',
          side: 'DESTINATION',
          direction: 'egress',
          action: 'drop',
          dropReason: 'DROP_SG',
        }),
      ],
      context,
    );
    assert.equal(out.verdict, 'DROPPED');
    assert.equal(
      out.explanation,
      'dropped on compute-2 egress by security group `d:p:db`: no ingress rule admits it (implicit deny) [DROP_SG]; after passing compute-1 ingress',
    );
  });

  it('does not let reverse halves of connections opened the other way decide', () => {
    const out = explainDirection(
      [group({ action: 'deny', dropReason: 'DROP_REVERSE_SG', reverseHalf: true })],
      {
        ...context,
        route: null,
      },
    );
    assert.deepEqual(out, {
      verdict: 'NO_FLOWS',
      explanation:
        'no flows seen (only the reverse halves of 10 records opened the other way); no route to 10.0.0.9 in d:p:net:net',
    });
  });
});
