import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Outbox, type Delivery } from '../../../alarms/notify/outbox.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';

// Recent: older rows would be past the table's TTL, dropped as they are written.
const base = Date.now() - 60_000;
const delivery = (id: string, receiver = 'ops'): Delivery => ({
  id,
  receiver,
  created: base + Number(id.at(-1)),
  body: `{"id":"${id}"}`,
});

/** The outbox on the embedded warehouse, reopened as after a restart. */
describe('alarm notifications outbox (chdb)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-outbox-'));
  let warehouse: ChdbWarehouse;
  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(warehouse);
  });
  after(() => warehouse?.close());

  it('keeps a delivery pending, with its body, until settled; written twice it is one', async () => {
    const outbox = new Outbox(warehouse);
    await outbox.write([delivery('d1'), delivery('d2'), delivery('d3', 'other')]);
    await outbox.write([delivery('d1')]);
    await outbox.settle([{ delivery: delivery('d2'), state: 'delivered', attempts: 2, at: Date.now() }]);
    await outbox.settle([{ delivery: delivery('d3', 'other'), state: 'dead', attempts: 9, at: Date.now() }]);
    assert.deepEqual(await outbox.pending(base - 1000), [delivery('d1')]);
    assert.deepEqual(await outbox.pending(base + 5), [], 'none created since');
  });

  it('resumes the pending deliveries after a restart', async () => {
    await warehouse.close();
    warehouse = new ChdbWarehouse(dir);
    await migrate(warehouse);
    assert.deepEqual(await new Outbox(warehouse).pending(base - 1000), [delivery('d1')]);
  });
});
