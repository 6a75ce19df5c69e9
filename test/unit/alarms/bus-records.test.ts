import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acknowledgementMessage, ruleChangeMessage } from '../../../common/bus/alarm-commands.js';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AlarmCommandSchema,
  AlarmInputSchema,
  BusBatchSchema,
  encode,
  GeneratorEventType,
  type BusBatch,
} from '../../../common/proto.js';
import { busMessage } from '../../../harness/bus-records.js';
import { readAlarmInput, routeUves, routeWithdrawals } from '../../../alarms/bus-records.js';

const A = 'compute-a:Compute:contrail-vrouter-agent:0';
const uve = (type: string, name: string, inBytes: number) => ({
  type,
  name,
  struct_type: 'UveVirtualNetworkAgent',
  attributes_json: JSON.stringify({ in_bytes: inBytes }),
});

describe("the alarm engine's bus records: the collector's batches routed by UVE", () => {
  it('splits a UVE batch into one message per UVE, keyed by it, with the batch header kept', () => {
    const batch = busMessage('uves', { generator: A, seq: 7, receivedAt: 1000 }, [
      uve('virtual-network', 'vn1', 1),
      uve('virtual-network', 'vn2', 2),
      uve('virtual-network', 'vn1', 3),
    ]);
    const routed = routeUves(batch);
    assert.deepEqual(
      routed.map((m) => m.key),
      ['virtual-network:vn1', 'virtual-network:vn2'],
    );
    const first = readAlarmInput(routed[0]!);
    assert.equal(first.kind, 'uves');
    assert.deepEqual(
      first.kind === 'uves' &&
        first.changes.map((c) => [c.name, c.part.generator, c.part.time, c.part.attributes]),
      [
        ['vn1', A, 1000, { in_bytes: 1 }],
        ['vn1', A, 1000, { in_bytes: 3 }],
      ],
    );
  });

  it('passes a batch of one UVE on in the bytes it came in, framed as the AlarmInput it is', () => {
    const batch = busMessage('uves', { generator: A, seq: 8, receivedAt: 2000 }, [
      uve('virtual-network', 'vn1', 1),
      uve('virtual-network', 'vn1', 2),
    ]);
    const [routed, ...more] = routeUves(batch);
    assert.equal(more.length, 0);
    assert.equal(routed!.key, 'virtual-network:vn1');
    const { input } = fromBinary(AlarmInputSchema, routed!.value);
    assert.equal(input.case, 'uves');
    assert.deepEqual(Buffer.from(toBinary(BusBatchSchema, input.value as BusBatch)), batch.value);
  });

  it('carries only withdrawals of a generator batch, and nothing for one without any', () => {
    const events = (event: GeneratorEventType) =>
      busMessage('generator_events', { generator: A, seq: 0, receivedAt: 5 }, [
        { generator: A, event: GeneratorEventType[event], time: 5 },
      ]);
    assert.deepEqual(routeWithdrawals(events(GeneratorEventType.CONNECTED)), []);
    const [withdrawal] = routeWithdrawals(events(GeneratorEventType.WITHDRAWN));
    assert.deepEqual(readAlarmInput(withdrawal!), {
      kind: 'withdrawals',
      withdrawals: [{ generator: A, time: 5 }],
    });
  });

  it('reads the API’s rule changes, keyed by the rule', () => {
    const change = {
      operation: 'replace',
      name: 'default-global-system-config:custom',
      rule: '{"id_perms":{}}',
      expectedVersion: 3,
      author: 'ops',
    } as const;
    const message = ruleChangeMessage(change);
    assert.equal(message.key, 'rule:default-global-system-config:custom');
    assert.deepEqual(readAlarmInput(message), { kind: 'command', command: { kind: 'rule', ...change } });
  });

  it('reads the API’s acknowledgements, and names a message that carries no input it knows', () => {
    const ack = { uveType: 'control-node', uveName: 'control-1', alarmType: 'bgp', token: 't1' };
    assert.deepEqual(readAlarmInput(acknowledgementMessage(ack)), {
      kind: 'command',
      command: { kind: 'acknowledge', ...ack },
    });
    // A bare AlarmCommand, as the topic carried before its inputs were wrapped.
    const bare = encode(AlarmCommandSchema, {
      uveType: 'control-node',
      uveName: 'control-1',
      alarmType: 'bgp',
    });
    assert.throws(() => readAlarmInput({ key: 'control-node:control-1', value: bare }), /no known input/);
  });
});
