import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BusMessage } from '../../../common/bus/bus.js';
import type { FabricError } from '../../../common/errors.js';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { busMessage } from '../../../harness/bus-records.js';
import { createQueryApi } from '../../../query/index.js';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { ask, post } from '../../../harness/query-api-client.js';

const nowUs = Date.now() * 1000;

function flows(seq: number, count: number): BusMessage {
  const records = Array.from({ length: count }, (_, i) => ({
    flow_uuid: Buffer.alloc(16, i + 1),
    vrouter: 'compute-1',
    source_ip: Buffer.from([10, 0, seq, i]),
    dest_ip: Buffer.from([10, 1, 0, 1]),
    dport: 443,
    protocol: 6,
    action: 2,
    diff_bytes: 100,
    diff_packets: 1,
    timestamp: nowUs,
  }));
  return busMessage('flows', { generator: 'g:Compute:m:0', epoch: 1, seq, receivedAt: nowUs }, records);
}

const totals = '{ flowTotals(from: "now-1h", to: "now+1m") { records } }';
/** Records read from the raw table, 10 or more rows. */
const records = '{ flows(from: "now-1h", to: "now+1m") { edges { cursor } } }';

describe('engine limits of the query API on the embedded warehouse', () => {
  let warehouse: ChdbWarehouse;
  let writer: BatchWriter;

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-limits-')));
    await migrate(warehouse);
    writer = new BatchWriter(warehouse, writerRoute('flows'), {
      maxBytes: 1 << 20,
      lingerMs: 0,
      dedupWindowHours: 24,
    });
    await writer.write([flows(1, 10)]);
  });
  after(() => warehouse.close());

  it('refuses a read over max_rows_to_read with its code, while the writer still inserts', async () => {
    const limited = createQueryApi(warehouse, { queryMaxRowsToRead: 1 });
    const body = await post(limited, records);
    assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_EXPENSIVE', JSON.stringify(body));
    assert.match(body.errors[0]!.message, /went over a limit of the warehouse: .*rows/i);

    // The limit is the API's: the writer's insert reads 10 rows through the same engine and passes.
    await writer.write([flows(2, 10)]);
    const open = createQueryApi(warehouse);
    assert.deepEqual(await ask(open, totals), { flowTotals: { records: 20 } });
    // And the limited API still refuses, each of its reads bounded.
    assert.equal((await post(limited, records)).errors?.[0]?.extensions?.code, 'QUERY_TOO_EXPENSIVE');
  });

  it('refuses SQL over max_query_size with its code, and runs the largest filters allowed by default', async () => {
    const ips = (n: number) => Array.from({ length: 100 }, (_, i) => `10.${n}.${i}.0/24`);
    const filters = JSON.stringify(Array.from({ length: 10 }, (_, n) => ({ ip: ips(n) }))).replace(
      /"(\w+)":/g,
      '$1:',
    );
    // 1000 values: all the arguments of one request may hold (the range is the default).
    const query = `{ flowTotals(filter: ${filters}) { records } }`;
    assert.deepEqual(await ask(createQueryApi(warehouse), query), { flowTotals: { records: 20 } });
    const body = await post(createQueryApi(warehouse, { queryMaxQuerySize: 4096 }), query);
    assert.equal(body.errors?.[0]?.extensions?.code, 'QUERY_TOO_EXPENSIVE', JSON.stringify(body));
    assert.match(body.errors[0]!.message, /max query size exceeded/i);
  });

  it('stops a read at max_execution_time with RESOURCE_EXHAUSTED, not INTERNAL', async () => {
    const started = performance.now();
    await assert.rejects(
      warehouse.query(
        'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1',
        {},
        {
          max_execution_time: 0.5,
        },
      ),
      (err: FabricError) => err.code === 'RESOURCE_EXHAUSTED' && /Timeout exceeded/.test(err.message),
    );
    assert.ok(performance.now() - started < 10_000, 'the read stopped near its limit');
  });
});
