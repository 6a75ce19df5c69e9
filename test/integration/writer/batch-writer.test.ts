import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import type { BusMessage } from '../../../common/bus/bus.js';
import { LocalLogBus } from '../../../common/bus/local-log.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse, SPLIT_FROM_BYTES } from '../../../common/warehouse/chdb.js';
import { busMessage } from '../../../harness/bus-records.js';
import { busDrained } from '../../../harness/wait.js';

const nowUs = Date.now() * 1000;
const generator = 'compute-9:Compute:contrail-vrouter-agent:0';

function busBatch(seq: number, count: number): BusMessage {
  const records = Array.from({ length: count }, (_, i) => ({
    flow_uuid: Buffer.alloc(16, i + 1),
    vrouter: 'compute-9',
    source_ip: Buffer.from([10, 0, seq, i]),
    dest_ip: Buffer.from('20010db8000000000000000000000001', 'hex').subarray(0, 4),
    dport: 443,
    protocol: 6,
    action: 2,
    diff_bytes: 100,
    diff_packets: 1,
    sampling: i === 0 ? 4 : 0,
    timestamp: nowUs,
  }));
  return busMessage('flows', { generator, epoch: 5, seq, receivedAt: nowUs }, records);
}

describe('flow writer on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };
  const totals = async () =>
    (
      await warehouse.query<{ rows: string; bytes: string }>(
        'SELECT count() AS rows, sum(diff_bytes * sampling) AS bytes FROM flows',
      )
    )[0]!;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-writer-')));
    await migrate(warehouse);
  });
  after(() => warehouse.close());

  it('stores every record with its stamp and converts addresses, uuids and actions', async () => {
    await new BatchWriter(warehouse, writerRoute('flows'), options).write([busBatch(0, 3)]);
    assert.deepEqual(await totals(), { rows: '3', bytes: String(100 * 4 + 100 * 2) });
    const [row] = await warehouse.query<Record<string, string | number>>(
      `SELECT generator, batch_seq, toString(source_ip) AS ip, toString(flow_uuid) AS uuid, action, sampling
       FROM flows ORDER BY source_ip LIMIT 1`,
    );
    assert.deepEqual(row, {
      generator,
      batch_seq: '0',
      ip: '::ffff:10.0.0.0',
      uuid: '01010101-0101-0101-0101-010101010101',
      action: 'deny',
      sampling: 4,
    });
  });

  it('stores a resent batch once, within a delivery, across deliveries and after a restart', async () => {
    const writer = new BatchWriter(warehouse, writerRoute('flows'), options);
    await writer.write([busBatch(1, 2), busBatch(1, 2)]);
    await writer.write([busBatch(1, 2)]);
    assert.equal((await totals()).rows, '5');
    const restarted = new BatchWriter(warehouse, writerRoute('flows'), options);
    const bus = new LocalLogBus({ dir: mkdtempSync(join(tmpdir(), 'fs-writer-bus-')), maxBytes: 1 << 20 });
    await restarted.start(bus);
    await bus.publish('flows', [busBatch(0, 3), busBatch(1, 2), busBatch(2, 1)]);
    await busDrained();
    await restarted.stop();
    await bus.close();
    assert.equal((await totals()).rows, '6');
  });

  it('stores a delivery large enough to be parsed as two streams as one part, each record once', async () => {
    const delivery = Array.from({ length: 16 }, (_, i) => busBatch(100 + i, 5000));
    const bytes = delivery.reduce((n, m) => n + m.value.length, 0);
    assert.ok(bytes > SPLIT_FROM_BYTES, `${bytes} bytes: over the size parsed as one stream`);
    const before = Number((await totals()).rows);
    await new BatchWriter(warehouse, writerRoute('flows'), { ...options, maxBytes: 64 << 20 }).write(
      delivery,
    );
    assert.equal(Number((await totals()).rows), before + 80_000);
    const parts = await warehouse.query<{ part: string; batches: string; rows: string }>(
      `SELECT _part AS part, uniqExact(batch_seq) AS batches, count() AS rows FROM flows
       WHERE batch_seq >= 100 GROUP BY part`,
    );
    // One part: a writer that dies mid-insert leaves every batch of the delivery stored or none.
    assert.deepEqual(
      parts.map(({ batches, rows }) => ({ batches, rows })),
      [{ batches: '16', rows: '80000' }],
    );
  });

  it('feeds the rollups with the same totals as the raw table', async () => {
    const [raw] = await warehouse.query<{ r: string; b: string }>(
      'SELECT count() AS r, sum(diff_bytes * sampling) AS b FROM flows',
    );
    for (const table of ['flows_1m', 'flows_1h']) {
      const [rollup] = await warehouse.query<{ r: string; b: string }>(
        `SELECT sum(records) AS r, sum(bytes) AS b FROM ${table}`,
      );
      assert.deepEqual(rollup, raw, table);
    }
  });
});
