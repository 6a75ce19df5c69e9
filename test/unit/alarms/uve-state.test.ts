import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UvePart } from '../../../common/model/uve-aggregate.js';
import { UveState, type UveChange } from '../../../alarms/uve-state.js';

const A = 'compute-a:Compute:contrail-vrouter-agent:0';
const B = 'compute-b:Compute:contrail-vrouter-agent:0';
const VN = 'virtual-network:default-domain:admin:vn1';

/** A UveVirtualNetworkAgent part of vn1 from `generator`, received at `time` (µs). */
function part(generator: string, time: number, inBytes: number): UvePart {
  return {
    generator,
    struct: 'UveVirtualNetworkAgent',
    attributes: { in_bytes: inBytes },
    aggregation: { in_bytes: { agg: 'sum' } },
    time,
  };
}
const update = (generator: string, time: number, inBytes: number): UveChange => ({
  type: 'virtual-network',
  name: 'default-domain:admin:vn1',
  deleted: false,
  part: part(generator, time, inBytes),
});
const deletion = (generator: string, time: number): UveChange => ({
  ...update(generator, time, 0),
  deleted: true,
});
const inBytes = (state: UveState): unknown => state.aggregated(VN)['UveVirtualNetworkAgent']?.['in_bytes'];

describe('UVE state: the live parts of each UVE, as the warehouse keeps them', () => {
  it('aggregates the parts of several generators, the newest of each standing', () => {
    const state = new UveState();
    assert.equal(state.apply(update(A, 10, 100)), 'changed');
    assert.equal(state.apply(update(B, 11, 20)), 'changed');
    assert.equal(inBytes(state), 120);
    assert.equal(state.apply(update(A, 12, 300)), 'changed');
    assert.equal(inBytes(state), 320);
  });

  it('keeps the newer part when an older record comes after it, and evaluates a redelivered one again', () => {
    const state = new UveState();
    state.apply(update(A, 20, 100));
    assert.equal(state.apply(update(A, 10, 999)), 'ignored');
    assert.equal(inBytes(state), 100);
    // The same record again (a redelivery): applied, so the UVE is evaluated again.
    assert.equal(state.apply(update(A, 20, 100)), 'changed');
  });

  it('removes a deleted part; the last one gone leaves no UVE, evaluated as the empty UVE', () => {
    const state = new UveState();
    state.apply(update(A, 10, 100));
    state.apply(update(B, 10, 20));
    assert.equal(state.apply(deletion(B, 11)), 'changed');
    assert.equal(inBytes(state), 100);
    assert.equal(state.apply(deletion(A, 12)), 'gone');
    assert.deepEqual(state.aggregated(VN), {});
    assert.deepEqual([...state.keys()], []);
  });

  it('withdraws the parts a generator sent before its withdrawal, naming the UVEs that lost any', () => {
    const state = new UveState();
    state.apply(update(A, 10, 100));
    state.apply(update(B, 10, 20));
    assert.deepEqual(state.withdraw(B, 15), [VN]);
    assert.equal(inBytes(state), 100);
    assert.deepEqual(state.withdraw(B, 15), [], 'a withdrawal seen before changes nothing');
    assert.deepEqual(state.withdraw(A, 30), [VN]);
    assert.deepEqual(state.aggregated(VN), {});
  });

  it('orders records and withdrawals by time, not by arrival (the two topics are read apart)', () => {
    const state = new UveState();
    state.apply(update(B, 10, 20));
    state.withdraw(B, 15);
    // Received before the withdrawal but read after it: withdrawn with it.
    assert.equal(state.apply(update(B, 12, 20)), 'ignored');
    assert.deepEqual(state.aggregated(VN), {});
    // Received after it (the generator came back and resent): counts again.
    assert.equal(state.apply(update(B, 16, 20)), 'changed');
    assert.equal(inBytes(state), 20);
    // A withdrawal read late removes only what was received before it.
    state.apply(update(A, 40, 100));
    assert.deepEqual(state.withdraw(A, 35), []);
    assert.equal(inBytes(state), 120);
  });

  it('starts from the warehouse: withdrawn parts left out, records it already holds not applied twice', () => {
    const stored = (generator: string, time: number, bytes: number) => ({
      type: 'virtual-network',
      name: 'default-domain:admin:vn1',
      part: part(generator, time, bytes),
    });
    const state = UveState.of(
      [stored(A, 10, 100), stored(B, 10, 20)],
      new Map([[B, 12]]),
      new Map([
        [A, 50],
        [B, 10],
      ]),
    );
    assert.equal(inBytes(state), 100);
    // A's deletion at 50 is in the warehouse (its part above is older): replaying older records of A
    // must not bring a part back.
    assert.equal(state.apply(update(A, 40, 555)), 'ignored');
    assert.equal(state.apply(update(A, 50, 555)), 'ignored');
    assert.equal(state.apply(update(A, 51, 7)), 'changed');
    assert.equal(inBytes(state), 7);
  });

  it('takes a batch routed twice once: an older record of a generator after a newer one is in the state already', () => {
    const state = new UveState();
    state.apply(update(A, 10, 100));
    state.apply(deletion(A, 20));
    // The first stage died before committing and published the first batch again: the deletion stands.
    assert.equal(state.apply(update(A, 10, 100)), 'ignored');
    assert.deepEqual(state.aggregated(VN), {});
    // One batch's records of one UVE come in one message, at one time: all of them apply.
    assert.equal(state.apply(update(A, 30, 1)), 'changed');
    assert.equal(
      state.apply({ ...update(A, 30, 2), part: { ...part(A, 30, 2), struct: 'Other' } }),
      'changed',
    );
  });

  it('combines again only the structs whose parts changed, and shows every change of the others', () => {
    const state = new UveState();
    const status = (generator: string, time: number, state: string): UveChange => ({
      ...update(generator, time, 0),
      part: { generator, struct: 'NodeStatus', attributes: { state }, aggregation: {}, time },
    });
    state.apply(update(A, 10, 100));
    state.apply(status(A, 10, 'Functional'));
    const first = state.aggregated(VN);
    assert.deepEqual(Object.keys(first), ['NodeStatus', 'UveVirtualNetworkAgent']);
    state.apply(status(A, 20, 'Non-Functional'));
    const second = state.aggregated(VN);
    assert.equal(second['UveVirtualNetworkAgent'], first['UveVirtualNetworkAgent']);
    assert.deepEqual(second['NodeStatus'], { state: 'Non-Functional' });
    state.apply(update(B, 21, 20));
    assert.equal(inBytes(state), 120);
    state.apply({ ...status(A, 22, ''), deleted: true });
    assert.deepEqual(Object.keys(state.aggregated(VN)), ['UveVirtualNetworkAgent']);
    state.withdraw(B, 30);
    assert.equal(inBytes(state), 100);
  });
});
