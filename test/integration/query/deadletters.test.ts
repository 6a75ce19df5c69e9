import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../common/schema/migrate.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';
import { BatchWriter } from '../../../writer/batch-writer.js';
import { writerRoute } from '../../../writer/routes.js';
import { ask, post } from '../../../harness/query-api-client.js';
import { poisonedFlowBatch } from '../writer/poison.js';

const generator = 'compute-1:Compute:contrail-vrouter-agent:0';
const control = 'ctl-1:Config:contrail-control:0';
const nowUs = Date.now() * 1000;

interface Letter {
  deadAt: string;
  kind: string;
  table: string;
  generator: string;
  batchEpoch: string;
  batchSeq: string;
  index: number;
  record: string;
  errorCode: number;
  error: string;
}
interface Connection {
  deadLetters: {
    edges: { cursor: string; node: Letter }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe('deadLetters', () => {
  let warehouse: ChdbWarehouse;
  let api: QueryApi;
  const list = (args: string) =>
    ask<Connection>(
      api,
      `{ deadLetters${args ? `(${args})` : ''} { edges { cursor node { deadAt kind table generator batchEpoch batchSeq index
        record errorCode error } } pageInfo { hasNextPage endCursor } } }`,
    );

  before(async () => {
    warehouse = new ChdbWarehouse(mkdtempSync(join(tmpdir(), 'fs-q-dead-')));
    await migrate(warehouse);
    // Two poisoned flow records, set aside by the writer now.
    const records = Array.from({ length: 3 }, (_, i) => ({
      vrouter: 'compute-1',
      action: 1,
      diff_bytes: 10,
      diff_packets: 1,
      timestamp: nowUs + i,
    }));
    await new BatchWriter(warehouse, writerRoute('flows'), {
      maxBytes: 1 << 20,
      lingerMs: 0,
      dedupWindowHours: 24,
    }).write([poisonedFlowBatch({ generator, epoch: 7, seq: 4, receivedAt: nowUs }, records, [0, 2])]);
    // Route records set aside two hours and three days ago.
    await warehouse.exec(`INSERT INTO dead_letters
      (dead_at, received_at, topic, target, generator, batch_epoch, batch_seq, record_index, record, error_code, error)
      VALUES (now64(6) - INTERVAL 2 HOUR, now64(6) - INTERVAL 2 HOUR, 'routes', 'routes', '${control}', 1, 9, 0, 'abc', 27, 'Cannot parse input'),
             (now64(6) - INTERVAL 3 DAY, now64(6) - INTERVAL 3 DAY, 'routes', 'routes', '${control}', 1, 8, 0, 'old', 27, 'Cannot parse input')`);
    api = createQueryApi(warehouse);
  });
  after(() => warehouse.close());

  it('lists what the writer set aside, newest first, with the record and the refusal', async () => {
    const { edges, pageInfo } = (await list('')).deadLetters;
    assert.deepEqual(
      edges.map((e) => [
        e.node.kind,
        e.node.table,
        e.node.generator,
        e.node.batchSeq,
        e.node.index,
        e.node.errorCode,
      ]),
      [
        ['flows', 'flows', generator, '4', 2, 436],
        ['flows', 'flows', generator, '4', 0, 436],
        ['routes', 'routes', control, '9', 0, 27],
        ['routes', 'routes', control, '8', 0, 27],
      ],
    );
    assert.equal(pageInfo.hasNextPage, false);
    const flow = edges[0]!.node;
    assert.equal(flow.batchEpoch, '7');
    assert.match(flow.error, /PROTOBUF_BAD_CAST/);
    assert.ok(Buffer.from(flow.record, 'base64').includes(Buffer.from('compute-1')));
    assert.equal(Buffer.from(edges[2]!.node.record, 'base64').toString(), 'abc');
    assert.ok(Date.parse(flow.deadAt) > Date.now() - 600e3);
  });

  it('pages without skipping or repeating, and narrows by generator, kind and time', async () => {
    const first = (await list('first: 2')).deadLetters;
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = (await list(`first: 2, after: "${first.pageInfo.endCursor}"`)).deadLetters;
    assert.equal(second.pageInfo.hasNextPage, false);
    assert.deepEqual(
      [...first.edges, ...second.edges].map((e) => `${e.node.batchSeq}/${e.node.index}`),
      ['4/2', '4/0', '9/0', '8/0'],
    );
    assert.equal((await list(`generator: "${control}"`)).deadLetters.edges.length, 2);
    assert.equal((await list('kind: "flows"')).deadLetters.edges.length, 2);
    assert.equal((await list('kind: "routes", from: "now-1d"')).deadLetters.edges.length, 1);
    assert.equal((await list('to: "now-1h"')).deadLetters.edges.length, 2);
    assert.equal((await list('from: "now-2d", to: "now-1h"')).deadLetters.edges.length, 1);
  });

  it('refuses a kind that is no topic and a cursor it did not hand out', async () => {
    for (const args of ['kind: "nope"', 'after: "bm90IGEgY3Vyc29y"']) {
      const body = await post(api, `{ deadLetters(${args}) { edges { cursor } } }`);
      assert.equal(body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', args);
    }
  });
});
