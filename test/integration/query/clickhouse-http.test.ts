import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChdbWarehouse, type EngineConnection } from '../../../common/warehouse/chdb.js';
import { FabricError } from '../../../common/errors.js';
import { ClickHouseWarehouse } from '../../../common/warehouse/clickhouse.js';
import { exceptionReply } from '../../../query/clickhouse-http/exceptions.js';
import { startClickHouseHttp } from '../../../query/clickhouse-http/server.js';
import { defaultQueryConfig } from '../../../query/index.js';
import { serveClickHouseHttp } from '../../../harness/clickhouse-http.js';
import { nativeForClient } from '../../../query/clickhouse-http/native.js';

/** One expression of each type the engine may send, varying by row (`number`), some rows empty or NULL. */
const COLUMNS = [
  'toUInt8(number)',
  'toUInt256(number) * 1000000000000',
  'toInt16(-number)',
  'toInt128(number) - 5',
  'toFloat32(number) / 3',
  'toFloat64(number) / 7',
  'number % 2 = 0',
  "toDate('2026-01-01') + number",
  "toDate32('1960-01-01') + number",
  "toDateTime('2026-01-01 00:00:00', 'UTC') + number",
  "toDateTime64('2026-01-01 00:00:00.123456', 6, 'UTC') + number",
  "toUUID(concat('00000000-0000-0000-0000-00000000000', toString(number)))",
  "toIPv4('10.0.0.1')",
  "toIPv6('2001:db8::1')",
  "CAST(number % 2 + 1 AS Enum8('pass' = 1, 'deny' = 2))",
  "CAST(number % 2 + 1 AS Enum16('a' = 1, 'b' = 2))",
  'toDecimal64(number, 2)',
  'toDecimal256(number, 5)',
  "toFixedString('ab', 3)",
  "repeat('x', number)",
  "if(number % 2 = 0, NULL, 'y')",
  'if(number % 3 = 0, NULL, toUInt32(number))',
  "toLowCardinality(concat('compute-', toString(number % 2)))",
  "CAST(if(number % 2 = 0, NULL, 'v') AS LowCardinality(Nullable(String)))",
  'range(number)',
  'arrayMap(x -> toLowCardinality(toString(x)), range(number))',
  "[if(number % 2 = 0, NULL, 's'), 't']",
  "map(toLowCardinality('app'), toString(number), toLowCardinality('tier'), 'web')",
  "CAST((number, 'n') AS Tuple(a UInt64, b String))",
  '[range(number), [1, 2]]',
  'CAST((1.5, 2.5) AS Point)',
  'NULL',
  'toIntervalSecond(number)',
];

const select = (where: string) =>
  `SELECT ${COLUMNS.map((c, i) => `${c} AS c${i}`).join(', ')} FROM numbers(10) WHERE ${where}`;

/** The bytes of a varint-prefixed string and the offset after it. */
function readString(data: Buffer, at: number): [Buffer, number] {
  let length = 0;
  let shift = 1;
  let pos = at;
  for (;;) {
    const byte = data[pos++]!;
    length += (byte & 0x7f) * shift;
    if (byte < 0x80) break;
    shift *= 128;
  }
  return [data.subarray(at, pos + length), pos + length];
}

/**
 * The Native framing for clickhouse-go, checked against the engine's own single-column outputs:
 * a column alone in a block is its name, its type and its data to the end, so the walker must find
 * exactly those boundaries in the block of all of them.
 */
describe('Native output for a client with a protocol version', () => {
  let dir: string;
  let warehouse: ChdbWarehouse;
  let engine: EngineConnection;
  const native = async (sql: string) => (await engine.run(sql, 'Native')).bytes;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fs-native-'));
    warehouse = new ChdbWarehouse(dir);
    engine = warehouse.connect();
  });
  after(async () => {
    engine.close();
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the BlockInfo and a no-custom-serialization flag after each column type, data untouched', async () => {
    const where = 'number < 5';
    const expected: Buffer[] = [
      Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]),
      Buffer.from([COLUMNS.length, 5]),
    ];
    for (let i = 0; i < COLUMNS.length; i++) {
      const alone = await native(`SELECT c${i} FROM (${select(where)})`);
      // One column, five rows: its name, its type, then its data up to the end of the block.
      const [name, afterName] = readString(alone, 2);
      const [type, afterType] = readString(alone, afterName);
      expected.push(name, type, Buffer.from([0]), alone.subarray(afterType));
    }
    assert.deepEqual(nativeForClient(await native(select(where)), 54460), Buffer.concat(expected));
  });

  it('walks every block of a result', async () => {
    const blocks = await native(`${select('1')} SETTINGS max_block_size = 3`);
    const parts = [];
    for (const [from, to] of [
      [0, 3],
      [3, 6],
      [6, 9],
      [9, 10],
    ])
      parts.push(nativeForClient(await native(select(`number >= ${from} AND number < ${to}`)), 54460));
    assert.deepEqual(nativeForClient(blocks, 54460), Buffer.concat(parts));
  });

  it('writes only the BlockInfo for a revision before custom serialization, and nothing for none', async () => {
    const plain = await native('SELECT toUInt8(7) AS x');
    assert.deepEqual(nativeForClient(plain, 0), plain);
    assert.deepEqual(
      nativeForClient(plain, 54453),
      Buffer.concat([Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]), plain]),
    );
  });

  it('sends RowBinary byte for byte, bytes over 0x7f included, named by the query id', async () => {
    const endpoint = await serveClickHouseHttp(warehouse);
    try {
      const auth = { 'X-ClickHouse-User': endpoint.user, 'X-ClickHouse-Key': endpoint.password };
      const response = await fetch(`${endpoint.url}/?default_format=RowBinaryWithNamesAndTypes`, {
        method: 'POST',
        headers: auth,
        body: "SELECT toUInt32(4294967295) AS x, unhex('00FF80') AS b",
      });
      assert.equal(response.headers.get('x-clickhouse-format'), 'RowBinaryWithNamesAndTypes');
      assert.equal(response.headers.get('content-type'), 'application/octet-stream');
      const header = [2, 1, 0x78, 1, 0x62, 6, ...Buffer.from('UInt32'), 6, ...Buffer.from('String')];
      assert.deepEqual(
        Buffer.from(await response.arrayBuffer()),
        Buffer.from([...header, 0xff, 0xff, 0xff, 0xff, 3, 0x00, 0xff, 0x80]),
      );
      // The query id names the query in the answer's headers: one that cannot be a header is refused.
      const named = await fetch(`${endpoint.url}/?query=SELECT%201&query_id=mine`, { headers: auth });
      assert.equal(named.headers.get('x-clickhouse-query-id'), 'mine');
      const bad = await fetch(`${endpoint.url}/?query=SELECT%201&query_id=a%0Ab`, { headers: auth });
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get('x-clickhouse-exception-code'), '36');
    } finally {
      await endpoint.close();
    }
  });

  it('refuses a type it cannot walk, naming it', async () => {
    const dynamic = await native("SELECT CAST('a' AS Dynamic) AS d, 1 AS x");
    assert.throws(
      () => nativeForClient(dynamic, 54460),
      (err) => {
        const reply = exceptionReply(err);
        assert.equal(reply.name, 'NOT_IMPLEMENTED');
        assert.match(reply.body, /type Dynamic/);
        return true;
      },
    );
  });
});

describe('starting the ClickHouse HTTP endpoint', () => {
  const config = { ...defaultQueryConfig, clickhouseHttpHost: '127.0.0.1', clickhouseHttpPassword: 'p' };
  const configError = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof FabricError && err.code === 'CONFIG', String(err));
    assert.match(err.message, pattern);
    return true;
  };

  it('is refused with a ClickHouse server as the warehouse, pointing clients at it', async () => {
    const server = new ClickHouseWarehouse({ url: 'http://127.0.0.1:1', retries: 0 });
    await assert.rejects(startClickHouseHttp(server, 0, config), configError(/--clickhouse-url.*directly/));
    await server.close();
  });

  it('is refused without a password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-native-'));
    const warehouse = new ChdbWarehouse(dir);
    try {
      await assert.rejects(
        startClickHouseHttp(warehouse, 0, { ...config, clickhouseHttpPassword: '' }),
        configError(/--clickhouse-http-password/),
      );
    } finally {
      await warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
