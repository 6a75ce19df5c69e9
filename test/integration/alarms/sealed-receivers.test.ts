import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoredReceivers } from '../../../alarms/notify/stored.js';
import { receiverErrors } from '../../../common/notify/metrics.js';
import { checkedReceiver } from '../../../common/notify/receivers.js';
import { SecretBox } from '../../../common/notify/secret-box.js';
import { readReceiverVersions, storeReceiverVersion } from '../../../common/schema/alarm-receivers.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';

const API_SECRET = 'an-api-receivers-secret-stored-plain';
const OLD_SECRET = 'the-secret-it-had-before-a-rotation';
const CONFIG_SECRET = 'the-configured-receivers-secret';

const errorsOf = async (receiver: string): Promise<number> =>
  (await receiverErrors.get()).values.find((v) => v.labels.receiver === receiver)?.value ?? 0;

/**
 * An upgrade on the embedded warehouse: rows stored before sealing hold their secrets plain; the
 * engine's start seals every one of them (older versions too), once, and signs with them after.
 */
describe('alarm receivers stored before sealing (chdb)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-sealed-receivers-'));
  const box = new SecretBox(Buffer.alloc(32, 1));
  const configured = checkedReceiver({
    name: 'configured',
    url: 'http://127.0.0.1:1/',
    secret: CONFIG_SECRET,
  });
  let warehouse: ChdbWarehouse;
  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(warehouse);
    const row = {
      source: 'api' as const,
      receiver: '{"url":"http://127.0.0.1:2/"}',
      status: 'enabled' as const,
    };
    await storeReceiverVersion(warehouse, {
      name: 'api',
      version: 1,
      ...row,
      secret: OLD_SECRET,
      author: '',
      at: 1,
    });
    await storeReceiverVersion(warehouse, {
      name: 'api',
      version: 2,
      ...row,
      secret: API_SECRET,
      author: '',
      at: 2,
    });
  });
  after(() => warehouse?.close());

  const secrets = async () =>
    await warehouse.query<{ name: string; version: string; secret: string }>(
      'SELECT name, toString(version) AS version, secret FROM alarm_receivers ORDER BY name, version',
    );

  it('without a key, leaves them as they are and unused, counted', async () => {
    const before = await errorsOf('api');
    const engine = new StoredReceivers(warehouse, undefined);
    await engine.syncConfig([configured]);
    assert.deepEqual(
      (await secrets()).map((r) => [r.name, r.version, r.secret]),
      [
        ['api', '1', OLD_SECRET],
        ['api', '2', API_SECRET],
        ['configured', '1', ''],
      ],
      'no secret stored for the configured one',
    );
    const { enabled } = await engine.load();
    assert.deepEqual(
      enabled.map((r) => [r.name, r.secret]),
      [['configured', CONFIG_SECRET]],
      'the configured one signs from the configuration',
    );
    assert.ok((await errorsOf('api')) > before);
  });

  it("seals every version's plain secret at the engine's start, once; they sign as before", async () => {
    const engine = new StoredReceivers(warehouse, box);
    await engine.syncConfig([configured]);
    const rows = await secrets();
    assert.deepEqual(
      rows.map((r) => [r.name, r.version, r.secret && box.open(r.secret)]),
      [
        ['api', '1', OLD_SECRET],
        ['api', '2', API_SECRET],
        ['configured', '1', ''],
        ['configured', '2', CONFIG_SECRET],
      ],
      'the configured one stored again, its secret sealed',
    );
    await new StoredReceivers(warehouse, box).syncConfig([configured]);
    assert.deepEqual(await secrets(), rows, 'a second start changes nothing');
    assert.deepEqual(
      (await engine.load()).enabled.map((r) => [r.name, r.secret]),
      [
        ['api', API_SECRET],
        ['configured', CONFIG_SECRET],
      ],
    );
    const versions = await readReceiverVersions(warehouse);
    assert.ok(
      versions.every((v) => !v.secret.includes('secret')),
      'no row reads plain',
    );
  });
});
