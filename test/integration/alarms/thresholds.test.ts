import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AlarmEngine } from '../../../alarms/engine.js';
import { warehouseRestore } from '../../../alarms/restore.js';
import { AlarmService } from '../../../alarms/service.js';
import { StoredRules } from '../../../alarms/rule-set.js';
import { AlarmStore } from '../../../alarms/store.js';
import { Thresholds } from '../../../alarms/thresholds.js';
import { LocalLogBus } from '../../../common/bus/local-log.js';
import { parseThresholdRule, type ThresholdRule } from '../../../common/model/alarm-rules/threshold.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { ask as askApi } from '../../../harness/query-api-client.js';

const examples = fileURLToPath(new URL('../../../../deploy/threshold-rules/', import.meta.url));
const example = (file: string): ThresholdRule =>
  parseThresholdRule(JSON.parse(readFileSync(join(examples, file), 'utf8')));

/** T: a 10-minute boundary an hour ago; every record is placed around it, the clock is given. */
const T = (Math.floor(Date.now() / 600e3) * 600 - 3600) * 1000;
const VMI_HOT = '0a000000-0000-4000-8000-00000000000a';
const VMI_CALM = '0b000000-0000-4000-8000-00000000000b';

/** Within the 4 minutes before T: 150 denied flows into payments, 50 into default, 200 passed into payments. */
const flows = `INSERT INTO flows (time, received_at, generator, batch_seq, flow_uuid, vrouter, action, diff_bytes,
    diff_packets, sampling, dest_namespace)
  SELECT fromUnixTimestamp64Milli(toInt64({t:Int64} - 240000 + number * 500), 'UTC') AS t, t, 'g', number,
    generateUUIDv4(), 'compute-1', if(number < 200, 'deny', 'pass'), 100, 1, 1,
    if(number < 150 OR number >= 200, 'payments', 'default')
  FROM numbers(400)`;

/** Every 10 s from T − 10 min to T + 10 min: the hot VMI drops 20/s until T, then none; the calm one 1/s. */
const ifStats = `INSERT INTO if_stats (time, received_at, generator, batch_seq, vmi_uuid, vm_name, virtual_network,
    vrouter, in_bytes, out_bytes, in_packets, out_packets, drops, active_flows)
  SELECT fromUnixTimestamp64Milli(toInt64({t:Int64} - 600000 + s * 1000), 'UTC') AS t, t, 'g', number,
    toUUID(if(hot, {hot:String}, {calm:String})), 'vm', 'vn', 'compute-1', s * 100, s * 100, s, s,
    map('flow-limit', toUInt64(if(hot, least(s, 600) * 20, s))), 1
  FROM (SELECT number, intDiv(number, 2) * 10 AS s, number % 2 = 0 AS hot FROM numbers(242))`;

/** VRF red: 20 paths added 30 min before T, 12 deleted 5 min before T; VRF blue: 10 paths, steady. */
const routes = `INSERT INTO routes (time, received_at, stored_at, generator, batch_seq, routing_instance, family,
    prefix, op, protocol, peer)
  SELECT fromUnixTimestamp64Milli(toInt64({t:Int64} - if(del, 300000, 1800000)), 'UTC') AS t, t, t, 'control-1',
    number, if(blue, 'blue', 'red'), 'inet', concat('10.0.', toString(n), '.0/24'), if(del, 'delete', 'add'),
    'xmpp', 'compute-1'
  FROM (SELECT number, number % 20 AS n, number >= 20 AND number < 30 AS blue, number >= 30 AS del FROM numbers(42))`;

interface Shown {
  alarms: { edges: { node: { uveType: string; name: string; type: string; state: string } }[] };
}

describe('threshold rules on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  let bus: LocalLogBus;
  let service: AlarmService;
  let thresholds: Thresholds;
  let api: QueryApi;
  const rules = {
    flows: example('denied-flows-into-namespace.json'),
    drops: example('interface-drops.json'),
    routes: example('vrf-routes-halved.json'),
  };

  /** The alarms GraphQL shows (raised) of one UVE type, as `name state`. */
  const shown = async (uveType: string): Promise<string[]> => {
    const data = await askApi<Shown>(
      api,
      `{ alarms(filter: { uveType: ["${uveType}"] }) { edges { node { uveType name type state } } } }`,
    );
    return data.alarms.edges.map(({ node }) => `${node.name} ${node.state}`).sort();
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-thresholds-'));
    warehouse = new ChdbWarehouse(join(dir, 'chdb'));
    bus = new LocalLogBus({ dir: join(dir, 'bus'), maxBytes: 1 << 20 });
    await migrate(warehouse);
    await warehouse.exec(flows, { t: T });
    await warehouse.exec(ifStats, { t: T, hot: VMI_HOT, calm: VMI_CALM });
    await warehouse.exec(routes, { t: T });
    const store = new AlarmStore(warehouse);
    await store.open();
    const all = Object.values(rules);
    const engine = new AlarmEngine(
      [],
      all.map((r) => r.rule),
    );
    service = new AlarmService(
      engine,
      store,
      warehouseRestore(bus, warehouse, store),
      { maxBytes: 1 << 20, lingerMs: 0 },
      new StoredRules(warehouse),
    );
    // The local log's one partition: this service owns every group's UVE, so it settles them all.
    await service.start(bus);
    // No timer is armed (no start): each evaluation is given its instant, the clock is the test's.
    thresholds = new Thresholds(all, warehouse, engine, (step) => service.submit(step));
    api = createQueryApi(warehouse);
  });
  after(async () => {
    await thresholds.stop();
    await service.stop();
    await bus.close();
    await warehouse.close();
  });

  it('raises denied flows into a namespace over 5 minutes above 100, and clears it a window later', async () => {
    assert.equal(await thresholds.evaluate(rules.flows, T), true);
    assert.deepEqual(await shown('flows'), ['payments ACTIVE'], 'default had 50, passed flows do not count');
    const described = await askApi<{ alarms: { edges: { node: { description: string | null } }[] } }>(
      api,
      '{ alarms(filter: { uveType: ["flows"] }) { edges { node { description } } } }',
    );
    assert.ok(rules.flows.rule.description);
    assert.deepEqual(
      described.alarms.edges.map((e) => e.node.description),
      [rules.flows.rule.description],
      "the threshold rule's own description",
    );
    await thresholds.evaluate(rules.flows, T + 300e3);
    assert.deepEqual(await shown('flows'), []);
  });

  it('raises drops per second on a VMI above 10, and clears it once the drops stop', async () => {
    await thresholds.evaluate(rules.drops, T);
    assert.deepEqual(await shown('interface'), [`${VMI_HOT} ACTIVE`]);
    await thresholds.evaluate(rules.drops, T + 300e3);
    assert.deepEqual(await shown('interface'), []);
  });

  it("raises a VRF's route count falling by half, and clears it when the count holds", async () => {
    await thresholds.evaluate(rules.routes, T);
    assert.deepEqual(await shown('routing-instance'), ['red ACTIVE'], 'red: 20 → 8; blue steady');
    await thresholds.evaluate(rules.routes, T + 600e3);
    assert.deepEqual(await shown('routing-instance'), []);
  });
});
