import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import { simulate, type SimulationReport, type Totals } from '../../simulator/index.js';
import type { PipelineProcess } from '../../harness/pipeline-process.js';
import { needTools, tools } from '../../harness/system-tools.js';
import { pipelineDrained } from '../../harness/wait.js';
import {
  startPipelineWithClickHouseHttp,
  type ClickHouseHttpEndpoint,
} from '../../harness/clickhouse-http.js';

const run = promisify(execFile);
const goClient = fileURLToPath(new URL('../../../test/go/clickhouse-http-client', import.meta.url));

/** Per vRouter as the simulator counts what was acked: records, and bytes and packets times sampling. */
const totalsSql = `SELECT vrouter, count() AS records, sum(diff_bytes * greatest(sampling, 1)) AS bytes,
    sum(diff_packets * greatest(sampling, 1)) AS packets FROM flows GROUP BY vrouter ORDER BY vrouter`;

/**
 * The embedded pipeline with its ClickHouse HTTP endpoint, filled by the simulator, read by two real
 * ClickHouse clients: @clickhouse/client and clickhouse-go v2 in HTTP mode (what Grafana's
 * ClickHouse plugin uses). Both read what was acked and are refused every write by the engine.
 */
describe('the ClickHouse HTTP endpoint of the embedded pipeline', () => {
  let pipeline: PipelineProcess;
  let endpoint: ClickHouseHttpEndpoint;
  let report: SimulationReport;
  /** The vRouters with flows (the simulator reports every vRouter, with zeros for those it sent none). */
  let acked: Record<string, Totals>;
  let client: ClickHouseClient;
  const dir = mkdtempSync(join(tmpdir(), 'fs-chhttp-'));

  before(async () => {
    ({ pipeline, endpoint } = await startPipelineWithClickHouseHttp(join(dir, 'data')));
    report = await simulate({
      target: pipeline.grpcTarget,
      vrouters: 3,
      seed: 5,
      flows: 3000,
      batchSize: 500,
    });
    await pipelineDrained(pipeline);
    acked = Object.fromEntries(
      Object.entries(report.ackedByVrouter).filter(([, totals]) => totals.records > 0),
    );
    client = createClient({ url: endpoint.url, username: endpoint.user, password: endpoint.password });
  });
  after(async () => {
    await client?.close();
    await pipeline?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const byVrouter = (rows: { vrouter: string; records: string; bytes: string; packets: string }[]) =>
    Object.fromEntries(
      rows.map((r): [string, Totals] => [
        r.vrouter,
        { records: Number(r.records), bytes: Number(r.bytes), packets: Number(r.packets) },
      ]),
    );

  it('@clickhouse/client reads the acked flows in JSONEachRow, JSON and TabSeparated', async () => {
    const eachRow = await client.query({ query: totalsSql, format: 'JSONEachRow' });
    assert.deepEqual(byVrouter(await eachRow.json()), acked);

    const json = await (
      await client.query({
        query: 'SELECT time, source_ip, vrouter, diff_bytes FROM flows LIMIT 3',
        format: 'JSON',
      })
    ).json<{ time: string }>();
    assert.deepEqual(json.meta, [
      { name: 'time', type: "DateTime64(6, 'UTC')" },
      { name: 'source_ip', type: 'IPv6' },
      { name: 'vrouter', type: 'LowCardinality(String)' },
      { name: 'diff_bytes', type: 'UInt64' },
    ]);
    assert.equal(json.rows, 3);

    const tsv = await (await client.query({ query: totalsSql, format: 'TabSeparatedWithNames' })).text();
    const [header, ...lines] = tsv.trim().split('\n');
    assert.equal(header, 'vrouter\trecords\tbytes\tpackets');
    assert.deepEqual(
      lines.map((l) => l.split('\t')[0]),
      Object.keys(acked).sort(),
    );
  });

  it('binds query parameters as ClickHouse does, escapes included, and accepts tighter limits', async () => {
    const [vrouter, totals] = Object.entries(acked)[0]!;
    const awkward = "it's a \\ back\tslash";
    const rows = await (
      await client.query({
        query:
          'SELECT count() AS n, {s:String} AS s, {list:Array(String)} AS list FROM flows WHERE vrouter = {v:String}',
        query_params: { v: vrouter, s: awkward, list: [awkward, 'b'] },
        clickhouse_settings: { max_execution_time: 5, max_threads: 1 },
        format: 'JSONEachRow',
      })
    ).json<{ n: string; s: string; list: string[] }>();
    assert.deepEqual(rows, [{ n: String(totals.records), s: awkward, list: [awkward, 'b'] }]);
  });

  it('answers gzip when the client asks for compressed responses', async () => {
    const compressed = createClient({
      url: endpoint.url,
      username: endpoint.user,
      password: endpoint.password,
      compression: { response: true, request: true },
    });
    try {
      const rows = await (await compressed.query({ query: totalsSql, format: 'JSONEachRow' })).json();
      assert.deepEqual(byVrouter(rows as never), acked);
    } finally {
      await compressed.close();
    }
    const raw = await fetch(`${endpoint.url}/?enable_http_compression=1&query=SELECT%201`, {
      headers: {
        'X-ClickHouse-User': endpoint.user,
        'X-ClickHouse-Key': endpoint.password,
        'Accept-Encoding': 'gzip',
      },
    });
    assert.equal(raw.headers.get('content-encoding'), 'gzip');
    assert.equal(await raw.text(), '1\n');
  });

  it('refuses wrong credentials with AUTHENTICATION_FAILED (516), over 403', async () => {
    const intruder = createClient({ url: endpoint.url, username: endpoint.user, password: 'wrong' });
    try {
      await assert.rejects(intruder.query({ query: 'SELECT 1' }), (err) => {
        assert.ok(err instanceof ClickHouseError);
        assert.equal(err.code, '516');
        assert.equal(err.type, 'AUTHENTICATION_FAILED');
        return true;
      });
    } finally {
      await intruder.close();
    }
    const raw = await fetch(`${endpoint.url}/?query=SELECT%201&user=${endpoint.user}&password=wrong`);
    assert.equal(raw.status, 403);
    assert.equal(raw.headers.get('x-clickhouse-exception-code'), '516');
    assert.match(await raw.text(), /^Code: 516\. DB::Exception: .*\(AUTHENTICATION_FAILED\)\n$/);
  });

  it('has every write refused by the engine with READONLY (164), and the flows unchanged', async () => {
    const readonly = (err: unknown) => {
      assert.ok(err instanceof ClickHouseError, String(err));
      assert.equal(err.code, '164');
      assert.equal(err.type, 'READONLY');
      return true;
    };
    await assert.rejects(client.command({ query: "INSERT INTO flows (vrouter) VALUES ('x')" }), readonly);
    await assert.rejects(
      client.insert({ table: 'flows', values: [{ vrouter: 'x' }], format: 'JSONEachRow' }),
      readonly,
    );
    await assert.rejects(client.command({ query: 'DROP TABLE flows' }), readonly);
    await assert.rejects(client.command({ query: 'CREATE TABLE mine (x UInt8) ENGINE = Memory' }), readonly);
    await assert.rejects(client.command({ query: 'ALTER TABLE flows DELETE WHERE 1' }), readonly);
    // Neither a setting nor the query itself can lift it.
    await assert.rejects(
      client.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } }),
      readonly,
    );
    await assert.rejects(client.query({ query: 'SELECT 1 SETTINGS readonly = 0' }), readonly);
    await assert.rejects(
      client.query({ query: "SELECT 1; INSERT INTO flows (vrouter) VALUES ('x')" }),
      readonly,
    );
    const rows = await (
      await client.query({ query: 'SELECT count() AS n FROM flows', format: 'JSONEachRow' })
    ).json();
    assert.deepEqual(rows, [{ n: String(report.acked) }]);
  });

  it('refuses unknown settings and results over the size limit as ClickHouse does, and counts refusals', async () => {
    await assert.rejects(
      client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never }),
      (err) => {
        assert.ok(err instanceof ClickHouseError);
        assert.equal(err.type, 'UNKNOWN_SETTING');
        return true;
      },
    );
    await assert.rejects(
      client.query({ query: 'SELECT * FROM flows', clickhouse_settings: { max_result_bytes: '1000' } }),
      (err) => {
        assert.ok(err instanceof ClickHouseError);
        assert.equal(err.type, 'TOO_MANY_ROWS_OR_BYTES');
        return true;
      },
    );
    const metrics = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
    for (const reason of ['auth', 'readonly', 'limit'])
      assert.match(
        metrics,
        new RegExp(`fabricscope_clickhouse_http_refusals_total\\{reason="${reason}"\\} [1-9]`),
      );
    assert.match(
      metrics,
      /fabricscope_clickhouse_http_requests_total\{status="200",format="JSONEachRow"\} [1-9]/,
    );
    assert.match(metrics, /fabricscope_clickhouse_http_response_bytes_total [1-9]/);
  });

  it('clickhouse-go v2 over HTTP (as Grafana) reads typed flows and is refused a write', async (t) => {
    if (!needTools(t, tools.go)) return;
    // clickhouse-go v2.51 needs Go 1.26, which a go from 1.21 on fetches itself (GOTOOLCHAIN=auto).
    const { stdout: version } = await run('go', ['env', 'GOVERSION']);
    const [, minor] = /^go1\.(\d+)/.exec(version.trim()) ?? [];
    if (Number(minor) < 21) {
      const why = `${version.trim()} cannot build clickhouse-go v2.51 (Go 1.26; a go from 1.21 on fetches it): install a newer golang-go (e.g. from bookworm-backports)`;
      if (process.env.FABRICSCOPE_REQUIRE_TOOLS === '1') throw new Error(why);
      return t.skip(why);
    }
    const binary = join(dir, 'clickhouse-http-client');
    await run('go', ['build', '-o', binary, '.'], { cwd: goClient, timeout: 600_000 });
    const { stdout } = await run(
      binary,
      [`${endpoint.host}:${endpoint.port}`, endpoint.user, endpoint.password],
      {
        timeout: 60_000,
      },
    );
    const read = JSON.parse(stdout) as {
      flows: { time: string; vrouter: string; sourceIp: string; vrouterIpv4: string; diffBytes: string }[];
      bytesByVrouter: Record<string, string>;
      writeCode: number;
    };
    const expected = await (
      await client.query({
        query: `SELECT toString(toUnixTimestamp64Micro(time)) AS time, vrouter,
            replaceRegexpOne(toString(source_ip), '^::ffff:', '') AS sourceIp,
            toString(toIPv4OrDefault(replaceRegexpOne(IPv6NumToString(vrouter_ip), '^::ffff:', ''))) AS vrouterIpv4,
            toString(diff_bytes) AS diffBytes
          FROM flows ORDER BY time, flow_uuid LIMIT 5`,
        format: 'JSONEachRow',
      })
    ).json();
    assert.equal(read.flows.length, 5);
    assert.deepEqual(read.flows, expected);
    assert.deepEqual(
      Object.fromEntries(Object.entries(read.bytesByVrouter).map(([v, b]) => [v, Number(b)])),
      Object.fromEntries(Object.entries(acked).map(([v, totals]) => [v, totals.bytes])),
    );
    assert.equal(read.writeCode, 164);
  });
});
