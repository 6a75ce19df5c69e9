import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { printedAddress } from '../../../common/schema/addresses.js';
import { migrate } from '../../../common/schema/migrate.js';
import { migrations } from '../../../common/schema/migrations.js';
import { ChdbWarehouse } from '../../../common/warehouse/chdb.js';
import { ask } from '../../../harness/query-api-client.js';
import { createQueryApi, type QueryApi } from '../../../query/index.js';

/**
 * Top talkers (flowGroups by SOURCE_IP, DEST_IP) group IPv4 flows by their stored `ipv4_pair` and
 * the others by the two addresses (common/sql/flows/queries.ts): the answer must be the one grouping
 * by the addresses gives, whatever the mix of families, the ties, the extremes of the IPv4 range,
 * and for flows stored before migration 16 added the column as well as after.
 */
describe('top talkers by address pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-top-talkers-'));
  const start = Math.floor(Date.now() / 60e3) * 60 - 1200;
  let warehouse: ChdbWarehouse;
  let api: QueryApi;

  /**
   * 240 flows from `offset` on, a minute after `start` per batch: pairs drawn from IPv4 addresses at
   * the ends of the range (0.0.0.0, 0.0.0.1, 255.255.255.255, 10.0.0.x) and IPv6 ones, in every mix,
   * with bytes that tie often (multiples of 100), so that ranks interleave the families.
   */
  const insertFlows = (offset: number) =>
    warehouse.exec(
      `INSERT INTO flows (time, generator, batch_seq, flow_uuid, vrouter, source_ip, dest_ip, diff_bytes, diff_packets, sampling)
       SELECT toDateTime64(${start} + intDiv(number, 240) * 60 + number % 60, 6, 'UTC'), 'g:Compute:m:0', number,
         generateUUIDv4(), 'compute-1',
         toIPv6(['0.0.0.0', '0.0.0.1', '255.255.255.255', '10.0.0.7', '2001:db8::1', '::'][number % 6 + 1]),
         toIPv6(['0.0.0.0', '255.255.255.254', '10.0.0.9', '2001:db8::2', 'fe80::1'][intDiv(number, 6) % 5 + 1]),
         100 * (1 + number % 7), 1 + number % 3, 1
       FROM numbers(${offset}, 240)`,
    );
  const groups = async (metric: string, top: number) =>
    (
      await ask<{ flowGroups: { groups: unknown[] } }>(
        api,
        `{ flowGroups(from: "${new Date(start * 1000).toISOString()}", to: "now", by: [SOURCE_IP, DEST_IP],
            metric: ${metric}, top: ${top}) { groups { keys records bytes packets } } }`,
      )
    ).flowGroups.groups;
  /** The same question grouped by the two addresses, as the answer must be. */
  const expected = async (metric: string, top: number) =>
    (
      await warehouse.query<Record<string, string>>(
        `SELECT ${printedAddress('s')} AS src, ${printedAddress('d')} AS dst, records, bytes, packets FROM (
           SELECT source_ip AS s, dest_ip AS d, count() AS records, sum(diff_bytes * sampling) AS bytes,
             sum(diff_packets * sampling) AS packets
           FROM flows GROUP BY s, d ORDER BY ${metric} DESC, s, d LIMIT ${top})
         ORDER BY ${metric} DESC, s, d`,
      )
    ).map((r) => ({
      keys: [r.src, r.dst],
      records: Number(r.records),
      bytes: Number(r.bytes),
      packets: Number(r.packets),
    }));
  const sameAsGroupingByAddresses = async () => {
    for (const metric of ['BYTES', 'RECORDS', 'PACKETS'])
      for (const top of [1, 3, 7, 30])
        assert.deepEqual(
          await groups(metric, top),
          await expected(metric.toLowerCase(), top),
          `${metric} top ${top}`,
        );
  };

  before(async () => {
    warehouse = new ChdbWarehouse(dir);
    await migrate(
      warehouse,
      migrations.filter((m) => m.id < 16),
    );
    await insertFlows(0);
    api = createQueryApi(warehouse);
  });
  after(async () => {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers as grouping by the two addresses, for flows stored before the column and after', async () => {
    assert.deepEqual(await migrate(warehouse), [16]);
    await sameAsGroupingByAddresses();
    await insertFlows(240);
    await sameAsGroupingByAddresses();
  });

  it('stores the pair of IPv4 flows only, both addresses in one number', async () => {
    const rows = await warehouse.query<{ pair: string; src: string; dst: string }>(
      `SELECT DISTINCT toString(ipv4_pair) AS pair, toString(source_ip) AS src, toString(dest_ip) AS dst FROM flows
       WHERE source_ip = toIPv6('255.255.255.255') ORDER BY dst`,
    );
    const pair = (dest: bigint) => String((0xffffffffn << 32n) | dest);
    assert.deepEqual(rows, [
      { pair: '0', src: '::ffff:255.255.255.255', dst: '2001:db8::2' },
      { pair: pair(0n), src: '::ffff:255.255.255.255', dst: '::ffff:0.0.0.0' },
      { pair: pair(0x0a000009n), src: '::ffff:255.255.255.255', dst: '::ffff:10.0.0.9' },
      { pair: pair(0xfffffffen), src: '::ffff:255.255.255.255', dst: '::ffff:255.255.255.254' },
      { pair: '0', src: '::ffff:255.255.255.255', dst: 'fe80::1' },
    ]);
  });
});
