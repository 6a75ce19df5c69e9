import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Bus, BusHandler, BusMessage } from '../../../common/bus/bus.js';
import { FabricError } from '../../../common/errors.js';
import { registry } from '../../../common/metrics.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import type { ProtobufInsert, Warehouse } from '../../../common/warehouse/warehouse.js';
import { busMessage } from '../../../harness/bus-records.js';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { poisonedFlowBatch } from './poison.js';

const nowUs = Date.now() * 1000;
const poisoner = 'compute-1:Compute:contrail-vrouter-agent:0';
const bystander = 'compute-2:Compute:contrail-vrouter-agent:0';
const options = { maxBytes: 1 << 20, lingerMs: 0, dedupWindowHours: 24 };

const flow = (vrouter: string, i: number, timestamp = nowUs) => ({
  flow_uuid: Buffer.alloc(16, i + 1),
  vrouter,
  source_ip: Buffer.from([10, 0, 0, i]),
  dport: 443,
  protocol: 6,
  action: 1,
  diff_bytes: 100 + i,
  diff_packets: 1,
  sampling: 1,
  timestamp,
});
const flows = (vrouter: string, n: number) => Array.from({ length: n }, (_, i) => flow(vrouter, i));
const header = (generator: string, seq: number) => ({ generator, epoch: 3, seq, receivedAt: nowUs });

/**
 * Passes everything to chdb, but fails chosen writes (by their number, from 1) with `error`: the
 * writes are the inserts into the table and the stores of dead letters.
 */
class FailingWarehouse implements Warehouse {
  writes = 0;
  constructor(
    private readonly inner: Warehouse,
    private readonly failing: Set<number>,
    private readonly error: () => Error,
  ) {}
  dictionarySource = () => this.inner.dictionarySource();
  query = <T>(sql: string, params?: Parameters<Warehouse['query']>[1]) => this.inner.query<T>(sql, params);
  close = () => this.inner.close();
  async exec(sql: string, params?: Parameters<Warehouse['exec']>[1]): Promise<void> {
    if (/^\s*INSERT INTO dead_letters/.test(sql)) this.write();
    await this.inner.exec(sql, params);
  }
  async insertProtobuf(insert: ProtobufInsert, chunks: readonly Buffer[]): Promise<void> {
    this.write();
    await this.inner.insertProtobuf(insert, chunks);
  }
  insertRows = (table: string, rows: readonly Record<string, unknown>[]) =>
    this.inner.insertRows(table, rows);
  private write(): void {
    if (this.failing.has(++this.writes)) throw this.error();
  }
}
/** As chdb reports a memory limit: a transient refusal. */
const memoryLimit = () =>
  new FabricError(
    'INTERNAL',
    'warehouse: Code: 241. DB::Exception: Memory limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED)',
  );

/** A writer process that dies: whatever it had in memory is gone, the warehouse keeps what it stored. */
const killed = () => new Error('the writer was killed');

describe('a delivery the warehouse refuses part of', () => {
  let chdb: ChdbWarehouse;
  const count = async (sql: string) => Number((await chdb.query<{ n: string }>(sql))[0]!.n);
  const flowsOf = (vrouter: string) => count(`SELECT count() AS n FROM flows WHERE vrouter = '${vrouter}'`);
  const deadOf = (generator: string) =>
    count(`SELECT count() AS n FROM dead_letters WHERE generator = '${generator}'`);
  /**
   * Delivers to a writer started anew over the warehouse, as a bus redelivers what a writer that
   * stopped had not committed; the bus itself is not under test.
   */
  const redeliverToNewWriter = async (delivery: BusMessage[]) => {
    let handler: BusHandler | undefined;
    const bus = {
      subscribe: async (_topic: string, _group: string, h: BusHandler) => {
        handler = h;
        return { close: async () => undefined };
      },
    } as unknown as Bus;
    const writer = new BatchWriter(chdb, writerRoute('flows'), options);
    await writer.start(bus);
    try {
      await handler!(delivery, { partition: 0 });
    } finally {
      await writer.stop();
    }
  };

  before(async () => {
    chdb = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-dead-letter-')));
    await migrate(chdb);
  });
  after(() => chdb.close());
  beforeEach(async () => {
    await chdb.exec('TRUNCATE TABLE flows');
    await chdb.exec('TRUNCATE TABLE dead_letters');
  });

  it('stores the bystanders and the good records, dead-letters the poison, and stores nothing twice', async () => {
    const delivery: BusMessage[] = [
      poisonedFlowBatch(header(poisoner, 1), flows('compute-1', 6), [2]),
      busMessage('flows', header(bystander, 1), flows('compute-2', 4)),
      // A batch of poison alone: stored nowhere but in dead_letters.
      poisonedFlowBatch(header(poisoner, 2), flows('compute-1', 2), [0, 1]),
    ];
    const writer = new BatchWriter(chdb, writerRoute('flows'), options);
    const counted = async () =>
      (await registry.getSingleMetric('fabricscope_writer_dead_letters_total')?.get())?.values.find(
        (v) => v.labels.table === 'flows',
      )?.value ?? 0;
    const already = await counted();
    await writer.write(delivery);
    assert.equal((await counted()) - already, 3);
    assert.equal(await flowsOf('compute-2'), 4);
    assert.equal(await flowsOf('compute-1'), 5);
    assert.equal(await deadOf(poisoner), 3);
    assert.equal(await deadOf(bystander), 0);

    const letters = await chdb.query<Record<string, string | number>>(
      `SELECT topic, target, toString(batch_epoch) AS epoch, toString(batch_seq) AS seq, error_code AS code,
         error, toUnixTimestamp64Micro(received_at) AS received, length(record) AS size
       FROM dead_letters ORDER BY batch_seq`,
    );
    assert.deepEqual(
      letters.map((l) => [l.topic, l.target, l.epoch, l.seq, l.code, String(l.received) === String(nowUs)]),
      [
        ['flows', 'flows', '3', '1', 436, true],
        ['flows', 'flows', '3', '2', 436, true],
        ['flows', 'flows', '3', '2', 436, true],
      ],
    );
    assert.match(String(letters[0]!.error), /PROTOBUF_BAD_CAST|sampling/);
    assert.ok(Number(letters[0]!.size) > 20);

    // The record as received: the engine refuses it again, alone.
    const [first] = await chdb.query<{ b: string }>(
      'SELECT base64Encode(record) AS b FROM dead_letters WHERE batch_seq = 1',
    );
    assert.ok(Buffer.from(first!.b, 'base64').includes(Buffer.from('compute-1')));

    // Redelivered to the same writer, then to a writer started again (which reads what is stored).
    await writer.write(delivery);
    await redeliverToNewWriter(delivery);
    assert.equal(await flowsOf('compute-2'), 4);
    assert.equal(await flowsOf('compute-1'), 5);
    assert.equal(await deadOf(poisoner), 3);
    assert.equal((await counted()) - already, 3);
  });

  it('stores every record of an insert refused for its partitions: a smaller insert passes', async () => {
    // A generator whose clock runs ahead: 150 days, 150 partitions (past ones would expire by TTL).
    const spread = Array.from({ length: 150 }, (_, i) => flow('compute-1', i, nowUs + i * 86400e6));
    const writer = new BatchWriter(chdb, writerRoute('flows'), options);
    await writer.write([busMessage('flows', header(poisoner, 10), spread)]);
    assert.equal(await flowsOf('compute-1'), 150);
    assert.equal(await deadOf(poisoner), 0);
  });

  it('retries a transient refusal as it was: the delivery fails, nothing is dead-lettered', async () => {
    const warehouse = new FailingWarehouse(chdb, new Set([1]), memoryLimit);
    const writer = new BatchWriter(warehouse, writerRoute('flows'), options);
    const delivery = [busMessage('flows', header(bystander, 20), flows('compute-2', 3))];
    await assert.rejects(writer.write(delivery), /MEMORY_LIMIT_EXCEEDED/);
    assert.equal(await flowsOf('compute-2'), 0);
    await writer.write(delivery);
    assert.equal(await flowsOf('compute-2'), 3);
    assert.equal(await count('SELECT count() AS n FROM dead_letters'), 0);
  });

  it('resumes an isolation a transient refusal broke off: nothing stored twice, nothing lost', async () => {
    // Insert 1 (the delivery) is refused for the poison, 2 (the first half: the bystander's batch)
    // passes, 3 (the poisoned batch) is refused for the poison, 4 (its first half) fails transiently.
    const warehouse = new FailingWarehouse(chdb, new Set([4]), memoryLimit);
    const writer = new BatchWriter(warehouse, writerRoute('flows'), options);
    const delivery = [
      busMessage('flows', header(bystander, 30), flows('compute-2', 3)),
      poisonedFlowBatch(header(poisoner, 30), flows('compute-1', 4), [3]),
    ];
    await assert.rejects(writer.write(delivery), /MEMORY_LIMIT_EXCEEDED/);
    assert.equal(await flowsOf('compute-2'), 3);
    assert.equal(await flowsOf('compute-1'), 0);
    await writer.write(delivery);
    await writer.write(delivery);
    assert.equal(await flowsOf('compute-2'), 3);
    assert.equal(await flowsOf('compute-1'), 3);
    assert.equal(await deadOf(poisoner), 1);
  });

  it('loses and doubles nothing when the writer dies at any write of an isolation and a new one takes over', async () => {
    const delivery = [
      busMessage('flows', header(bystander, 40), flows('compute-2', 3)),
      poisonedFlowBatch(header(poisoner, 40), flows('compute-1', 8), [1, 5, 6]),
    ];
    const exact = async (when: string) => {
      const stored = (vrouter: string) =>
        chdb.query<{ n: string; uuids: string }>(
          `SELECT count() AS n, uniqExact(flow_uuid) AS uuids FROM flows WHERE vrouter = '${vrouter}'`,
        );
      assert.deepEqual(await stored('compute-2'), [{ n: '3', uuids: '3' }], when);
      assert.deepEqual(await stored('compute-1'), [{ n: '5', uuids: '5' }], when);
      const dead = await chdb.query<{ i: number }>(
        'SELECT record_index AS i FROM dead_letters ORDER BY record_index',
      );
      assert.deepEqual(
        dead.map((d) => d.i),
        [1, 5, 6],
        when,
      );
    };
    // The writes an isolation of this delivery takes (inserts, dead-letter stores) when none fails.
    const whole = new FailingWarehouse(chdb, new Set(), killed);
    await new BatchWriter(whole, writerRoute('flows'), options).write(delivery);
    await exact('without a failure');
    assert.ok(whole.writes > 10, `${whole.writes} writes`);
    for (let dies = 2; dies <= whole.writes; dies++) {
      await chdb.exec('TRUNCATE TABLE flows');
      await chdb.exec('TRUNCATE TABLE dead_letters');
      const dying = new FailingWarehouse(chdb, new Set([dies]), killed);
      await assert.rejects(new BatchWriter(dying, writerRoute('flows'), options).write(delivery), /killed/);
      await redeliverToNewWriter(delivery);
      await exact(`the writer died at write ${dies} of ${whole.writes}`);
    }
  });
});
