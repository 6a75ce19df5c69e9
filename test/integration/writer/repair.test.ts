import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { migrate } from '../../../common/schema/migrate.js';
import { repairDerivedTables } from '../../../common/schema/repair.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { busMessage } from '../../../harness/bus-records.js';

const generator = 'compute-4:Compute:contrail-vrouter-agent:0';
const nowUs = Date.now() * 1000;
const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };

const flows = (seq: number, count: number) =>
  busMessage(
    'flows',
    { generator, seq, receivedAt: nowUs + seq },
    Array.from({ length: count }, (_, i) => ({
      flow_uuid: Buffer.alloc(16, i + 1),
      vrouter: 'compute-4',
      source_ip: Buffer.from([10, 0, seq, i]),
      dest_ip: Buffer.from([10, 1, 0, 1]),
      protocol: 6,
      dport: 443 + (i % 3),
      action: 1,
      diff_bytes: 100,
      diff_packets: 2,
      timestamp: nowUs - i * 60e6,
    })),
  );

describe('repair of the tables views derive, after a writer died between a table and its views', () => {
  let warehouse: ChdbWarehouse;
  const totals = async (table: string, sums: string) =>
    (await warehouse.query<Record<string, string>>(`SELECT ${sums} FROM ${table}`))[0];
  const raw = () =>
    totals('flows', 'count() AS records, sum(diff_bytes) AS bytes, sum(diff_packets) AS packets');
  const rolled = (table: string) =>
    totals(table, 'sum(records) AS records, sum(bytes) AS bytes, sum(packets) AS packets');
  /** Writes as a writer killed right after the table's part: the view `view` never saw the insert. */
  const cutShort = async (view: string, write: () => Promise<void>) => {
    await warehouse.exec(`DETACH TABLE ${view}`);
    try {
      await write();
    } finally {
      await warehouse.exec(`ATTACH TABLE ${view}`);
    }
  };

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-repair-')));
    await migrate(warehouse);
    await new BatchWriter(warehouse, writerRoute('flows'), options).write([flows(1, 40)]);
  });
  after(() => warehouse.close());

  it('gives the flow rollups what they lack, once, whichever view was cut short', async () => {
    const writer = new BatchWriter(warehouse, writerRoute('flows'), options);
    await cutShort('flows_1m_mv', () => writer.write([flows(2, 30)]));
    await cutShort('flows_1h_mv', () => writer.write([flows(3, 20)]));
    assert.notDeepEqual(await rolled('flows_1m'), await raw());
    await repairDerivedTables(warehouse);
    await repairDerivedTables(warehouse);
    const expected = await raw();
    assert.deepEqual(expected, { records: '90', bytes: '9000', packets: '180' });
    assert.deepEqual(await rolled('flows_1m'), expected);
    assert.deepEqual(await rolled('flows_1h'), expected);
    const byPort = async (table: string) =>
      warehouse.query(
        `SELECT dport, sum(${table === 'flows' ? '1' : 'records'}) AS n FROM ${table} GROUP BY dport ORDER BY dport`,
      );
    assert.deepEqual(await byPort('flows_1m'), await byPort('flows'));
  });

  it('writes the newest UVE part and the workload identity again', async () => {
    const vmi = {
      type: 'virtual-machine-interface',
      name: 'default-domain:k8s-payments:vmi-1',
      struct_type: 'UveVMInterfaceAgent',
      attributes_json: JSON.stringify({ vm_name: 'web-1', ip_address: '10.32.0.5', virtual_network: 'vn' }),
    };
    const writer = new BatchWriter(warehouse, writerRoute('uves'), options);
    await cutShort('uve_latest_mv', () =>
      cutShort('workloads_mv', () =>
        writer.write([busMessage('uves', { generator, seq: 9, receivedAt: nowUs + 9 }, [vmi])]),
      ),
    );
    assert.equal((await totals('uve_latest', 'count() AS n'))!.n, '0');
    await repairDerivedTables(warehouse);
    const [latest] = await warehouse.query<{ name: string }>('SELECT name FROM uve_latest');
    assert.equal(latest?.name, vmi.name);
    const [workload] = await warehouse.query<{ workload: string }>('SELECT workload FROM workloads');
    assert.equal(workload?.workload, 'web-1');
  });
});
