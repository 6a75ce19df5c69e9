import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../../common/schema/migrate.js';
import { migrations } from '../../../../common/schema/migrations.js';
import { snapshotPass } from '../../../../common/schema/snapshots.js';
import { ChdbWarehouse } from '../../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../../query/index.js';
import { ask } from '../../../../harness/query-api-client.js';

/**
 * A warehouse deployed at migration 3 holds route and generator events with no TTL, some older than
 * the TTL migration 5 sets. Upgrading must keep them all, and keep them answerable, until the
 * snapshots the writers take from then on cover the retention.
 */
describe('upgrading a warehouse at migration 3 to the TTLs and snapshots of migrations 4 and 5', () => {
  const DAY = 86400e6;
  const now = Math.floor(Date.now() / 1000) * 1e6;
  const longAgo = now - 40 * DAY;
  const vrf = 'default-domain:admin:blue:blue';
  const control = 'control-1:Control:contrail-control:0';
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  let upgradeStarted: number;
  const count = async (sql: string): Promise<number> =>
    Number((await warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${sql}`))[0]?.n);
  const listed = async () =>
    (
      await ask<{ routes: { edges: { node: { prefix: string; since: string } }[] } }>(
        api,
        `{ routes(vrf: "${vrf}") { edges { node { prefix since } } } }`,
      )
    ).routes.edges.map((e) => e.node.prefix);

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-retention-migration-')));
    assert.deepEqual(
      await migrate(
        warehouse,
        migrations.filter((m) => m.id <= 3),
      ),
      [1, 2, 3],
    );
    const at = `fromUnixTimestamp64Micro(${longAgo}, 'UTC')`;
    await warehouse.exec(`INSERT INTO routes (time, received_at, generator, batch_epoch, batch_seq,
        routing_instance, family, prefix, op, protocol, peer)
      VALUES (${at}, ${at}, '${control}', 1, 1, '${vrf}', 'inet', '10.1.0.0/16', 'add', 'bgp', 'gw'),
        (${at}, ${at}, '${control}', 1, 1, '${vrf}', 'inet', '10.2.0.0/16', 'add', 'bgp', 'gw')`);
    await warehouse.exec(`INSERT INTO generator_events (time, received_at, generator, batch_epoch, batch_seq, event, epoch, peer)
      VALUES (${at}, ${at}, '${control}', 1, 0, 'connected', 1, 'ipv4:10.0.0.1:5000')`);
    upgradeStarted = Date.now() * 1000;
    assert.deepEqual(
      await migrate(warehouse),
      migrations.map((m) => m.id).filter((id) => id > 3),
    );
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('keeps every event, counted as stored at the upgrade, through the TTLs it sets', async () => {
    await warehouse.exec('OPTIMIZE TABLE routes FINAL');
    await warehouse.exec('OPTIMIZE TABLE generator_events FINAL');
    const since = `stored_at >= fromUnixTimestamp64Micro(${upgradeStarted}, 'UTC')`;
    assert.equal(await count(`routes WHERE ${since}`), 2);
    assert.equal(await count(`generator_events WHERE ${since}`), 1);
    const [create] = await warehouse.query<{ q: string }>(
      "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'routes'",
    );
    assert.match(create!.q, /TTL toDateTime\(greatest\(received_at, stored_at\)\) \+ toIntervalDay\(31\)/);
  });

  it('answers the tables and generators as before, and after the first snapshot', async () => {
    assert.deepEqual(await listed(), ['10.1.0.0/16', '10.2.0.0/16']);
    const { generators } = await ask<{ generators: { edges: { node: { name: string; status: string } }[] } }>(
      api,
      '{ generators { edges { node { name status } } } }',
    );
    assert.deepEqual(
      generators.edges.map((e) => e.node),
      [{ name: control, status: 'CONNECTED' }],
    );
    assert.equal((await snapshotPass(warehouse, now, 3600e6)).length, 1);
    assert.equal(await count('route_snapshots'), 2);
    assert.deepEqual(await listed(), ['10.1.0.0/16', '10.2.0.0/16']);
  });
});
