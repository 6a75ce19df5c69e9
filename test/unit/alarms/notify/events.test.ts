import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertOf } from '../../../../alarms/notify/alertmanager.js';
import { alarmEvent, deliveryId, notificationOf, type AlarmFacts } from '../../../../alarms/notify/events.js';
import { idleStatus, type AlarmState, type Transition } from '../../../../alarms/lifecycle.js';

const TYPE = 'default-global-system-config:system-defined-bgp-connectivity';
const rules = { or_list: [{ and_list: [] }] };
const facts: AlarmFacts = {
  uveType: 'control-node',
  uveName: 'control-1',
  alarmType: TYPE,
  severity: 1,
  description: '',
  status: { ...idleStatus('x'), state: 'Active', rules, token: 't1', since: 1_000, matching: true },
};
const at = 2_000;
const step = (kind: Transition['kind'], from: AlarmState, to: AlarmState): Transition => ({
  at,
  kind,
  from,
  to,
  token: 't1',
});
const context = { description: 'BGP peering down', graphqlUrl: 'http://fs:8081/graphql' };

describe('alarm notifications', () => {
  it('notifies an alarm shown, changed, acknowledged and no longer shown; not its soaks', () => {
    assert.equal(notificationOf(step('state', 'Idle', 'Active')), 'raised');
    assert.equal(notificationOf(step('state', 'Soak_Active', 'Active')), 'raised');
    assert.equal(notificationOf(step('state', 'Soak_Idle', 'Idle')), 'cleared');
    assert.equal(notificationOf(step('state', 'Active', 'Idle')), 'cleared');
    assert.equal(notificationOf(step('updated', 'Active', 'Active')), 'changed');
    assert.equal(notificationOf(step('acknowledged', 'Active', 'Active')), 'acknowledged');
    assert.equal(notificationOf(step('state', 'Idle', 'Soak_Active')), undefined);
    assert.equal(notificationOf(step('state', 'Active', 'Soak_Idle')), undefined);
    assert.equal(notificationOf(step('state', 'Soak_Idle', 'Active')), undefined);
    assert.equal(notificationOf(step('updated', 'Soak_Active', 'Soak_Active')), undefined);
  });

  it('gives a transition one delivery id per receiver, whenever it is computed', () => {
    const raise = step('state', 'Idle', 'Active');
    assert.equal(deliveryId('a', facts, raise), deliveryId('a', facts, { ...raise }));
    assert.notEqual(deliveryId('a', facts, raise), deliveryId('b', facts, raise));
    assert.notEqual(deliveryId('a', facts, raise), deliveryId('a', facts, { ...raise, at: at + 1 }));
  });

  it('says what the alarm is, with its matches and a GraphQL link that shows it', () => {
    const event = alarmEvent('id1', 'raised', at, facts, context);
    assert.deepEqual(event.alarm, {
      type: TYPE,
      name: 'system-defined-bgp-connectivity',
      severity: 'major',
      description: 'BGP peering down',
      state: 'Active',
      uveType: 'control-node',
      uveName: 'control-1',
      acknowledged: false,
      flapping: false,
      token: 't1',
      since: new Date(1_000).toISOString(),
      matches: rules,
    });
    const link = new URL(event.link);
    assert.equal(link.origin + link.pathname, 'http://fs:8081/graphql');
    assert.match(link.searchParams.get('query')!, /alarm\(uveType: "control-node", name: "control-1"\)/);
  });

  it('makes one Alertmanager alert per alarm: firing until 4 intervals ahead, resolved at the clear', () => {
    const firing = alertOf(alarmEvent('id1', 'raised', at, facts, context), 10_000, 240_000);
    assert.deepEqual(firing.labels, {
      alertname: 'system-defined-bgp-connectivity',
      severity: 'major',
      uve_type: 'control-node',
      uve_name: 'control-1',
      alarm_type: TYPE,
    });
    assert.equal(firing.startsAt, new Date(1_000).toISOString());
    assert.equal(firing.endsAt, new Date(250_000).toISOString());
    const cleared = { ...facts, status: idleStatus('x') };
    const resolved = alertOf(alarmEvent('id2', 'cleared', 5_000, cleared, context), 10_000, 240_000);
    assert.deepEqual(resolved.labels, firing.labels, 'the same alert to Alertmanager');
    assert.equal(resolved.endsAt, new Date(5_000).toISOString());
    assert.equal(resolved.startsAt, resolved.endsAt);
  });
});
