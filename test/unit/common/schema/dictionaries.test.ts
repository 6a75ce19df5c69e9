import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayChangeWorkloadIdentity } from '../../../../common/schema/dictionaries.js';
import { busMessage } from '../../../../harness/bus-records.js';
import { podNetwork, vnPart, webInterface } from '../../../support/uve-fixtures.js';

const header = { generator: 'compute-a:Compute:contrail-vrouter-agent:0', seq: 1, receivedAt: Date.now() };
const nodeStatus = {
  type: 'vrouter',
  name: 'compute-a',
  struct_type: 'NodeStatus',
  attributes_json: JSON.stringify({ process_status: [{ state: 'Functional' }] }),
};

test('a UVE batch with an interface agent struct may change who an address belongs to', () => {
  const batch = busMessage('uves', header, [nodeStatus, webInterface]).value;
  assert.equal(mayChangeWorkloadIdentity([busMessage('uves', header, [vnPart(1)]).value, batch]), true);
});

test('UVE batches of other structs (node status, networks) change nobody’s identity', () => {
  const batches = [nodeStatus, vnPart(5)].map((uve) => busMessage('uves', header, [uve]).value);
  assert.equal(mayChangeWorkloadIdentity(batches), false);
  assert.equal(mayChangeWorkloadIdentity([]), false);
  // The interface's network named in another struct is not the interface struct itself.
  assert.ok(batches[1]!.includes(Buffer.from(podNetwork)));
});
