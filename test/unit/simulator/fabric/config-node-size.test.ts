import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectorOptions } from '../../../../collector/config.js';
import { healthyCondition } from '../../../../simulator/fabric/state/condition.js';
import { configNodeUves } from '../../../../simulator/fabric/state/uves/config-node.js';
import { buildTopology } from '../../../../simulator/index.js';

test("a thousand-vRouter fabric's config node sends no struct the collector refuses for its size", () => {
  const topo = buildTopology({ vrouters: 1000, seed: 1 });
  const now = Date.now() * 1000;
  const uves = configNodeUves(topo, topo.configNodes[0]!, healthyCondition(now), now);
  const limit = collectorOptions.maxUveBytes.default;
  const over = uves
    .filter((u) => Buffer.byteLength(u.attributesJson) > limit)
    .map((u) => `${u.type} ${u.name}`);
  assert.deepEqual(over, []);
  // The services are there, each with members named.
  const services = uves.filter((u) => u.type === 'loadbalancer');
  assert.ok(services.length > 0);
  for (const u of services) assert.match(u.attributesJson, /loadbalancer_members.*address/, u.name);
});
