import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { killedOnExit, stopChild } from './child-processes.js';
import { tools, type SystemTool } from './system-tools.js';
import { containerRuntime } from './containers.js';
import { freePort } from './kafka.js';

export interface ClickHouseServer {
  /** http://127.0.0.1:port, user "default" without password. */
  url: string;
  /** A second user with a password, for authentication tests. */
  user: { name: string; password: string };
  /**
   * Users whose profile has readonly=1 (reads, no setting may be changed) and readonly=2 (reads,
   * settings allowed); only on a server started here.
   */
  readOnlyUsers?: Record<1 | 2, { name: string; password: string }>;
  version: string;
  stop(): Promise<void>;
  /** Only for a server started here: stops it abruptly, keeping its data and port. */
  kill?(): Promise<void>;
  restart?(): Promise<void>;
}

const readOnlyUsers = {
  1: { name: 'reader', password: 'reader-secret' },
  2: { name: 'limited_reader', password: 'reader-secret' },
};

/**
 * A ClickHouse server for wire-level tests: `CLICKHOUSE_URL` when set, else Debian's clickhouse-server
 * (18.16 there) as a child process with its own config, data and ports. 18.16 predates query parameters,
 * DateTime64 and input(), so it serves the driver's HTTP behaviour, not fabricscope's schema.
 */
export async function startClickHouse(): Promise<ClickHouseServer> {
  const user = { name: 'fabric', password: 'fabric-secret' };
  const fromEnv = process.env.CLICKHOUSE_URL?.trim();
  if (fromEnv) return { url: fromEnv, user, version: await version(fromEnv), stop: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'fs-clickhouse-'));
  const [http, tcp] = [await freePort(), await freePort()];
  writeConfig(dir, http, tcp, user);
  const url = `http://127.0.0.1:${http}`;
  let child = await launch(dir, url);
  const kill = (): Promise<void> => stopChild(child, 'SIGKILL');
  const stop = async (): Promise<void> => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return {
      url,
      user,
      readOnlyUsers,
      version: await version(url),
      kill,
      restart: async () => {
        child = await launch(dir, url);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The system tools startClickHouse needs: none when CLICKHOUSE_URL names the server. */
export const clickHouseTools = (): SystemTool[] =>
  process.env.CLICKHOUSE_URL?.trim() ? [] : [tools.clickhouseServer];

/** Starts the server and waits for /ping; one that exits, cannot start or stays silent 30 s rejects. */
async function launch(dir: string, url: string): Promise<ChildProcess> {
  const child = killedOnExit(
    spawn(tools.clickhouseServer.command, [`--config-file=${join(dir, 'config.xml')}`], {
      stdio: 'ignore',
      cwd: dir,
    }),
  );
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run clickhouse-server: ${spawnError.message}`);
    if (child.exitCode !== null)
      throw new Error(`clickhouse-server exited with ${child.exitCode}; see ${dir}/log`);
    if (
      await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await sleep(100);
  }
  await stopChild(child, 'SIGKILL');
  throw new Error(`clickhouse-server did not answer /ping within 30 s; see ${dir}/log`);
}

async function version(url: string): Promise<string> {
  const { origin, username, password } = new URL(url);
  const auth = username
    ? { authorization: `Basic ${btoa(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`)}` }
    : undefined;
  const response = await fetch(`${origin}/?query=${encodeURIComponent('SELECT version()')}`, {
    headers: auth,
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.text()).trim();
}

function writeConfig(dir: string, http: number, tcp: number, user: { name: string; password: string }): void {
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(
    join(dir, 'config.xml'),
    `<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`,
  );
  const account = (name: string, password: string, profile = 'default'): string =>
    `<${name}><password>${password}</password><networks><ip>::/0</ip></networks><profile>${profile}</profile><quota>default</quota></${name}>`;
  const profile = (name: string, readonly: number): string =>
    `<${name}><readonly>${readonly}</readonly></${name}>`;
  writeFileSync(
    join(dir, 'users.xml'),
    `<yandex>
  <profiles><default></default>${profile('readonly', 1)}${profile('readonly_settable', 2)}</profiles>
  <users>${account('default', '')}${account(user.name, user.password)}${account(readOnlyUsers[1].name, readOnlyUsers[1].password, 'readonly')}${account(readOnlyUsers[2].name, readOnlyUsers[2].password, 'readonly_settable')}</users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
}

const modernImage = 'clickhouse/clickhouse-server:25.8';

/**
 * A ClickHouse server that runs fabricscope's schema: `CLICKHOUSE_URL` when it points at 22 or newer,
 * else a current image through testcontainers with proto/fabricscope/v1 as its format_schema_path.
 * Returns why not when neither is to be had, so a test can say so and be reported as skipped.
 */
export async function startModernClickHouse(): Promise<ClickHouseServer | string> {
  const fromEnv = process.env.CLICKHOUSE_URL?.trim();
  if (fromEnv) {
    const found = await version(fromEnv);
    if (Number(found.split('.')[0]) >= 22) {
      return { url: fromEnv, user: { name: '', password: '' }, version: found, stop: async () => undefined };
    }
  }
  const tc = await containerRuntime(
    'ClickHouse',
    'the tests that need a current ClickHouse server are skipped',
  );
  if (!tc) return `no ClickHouse server ≥ 22: CLICKHOUSE_URL is not one and no container runtime answers`;
  const proto = fileURLToPath(new URL('../../proto/fabricscope/v1', import.meta.url));
  const container = await new tc.GenericContainer(modernImage)
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_USER: 'fabric', CLICKHOUSE_PASSWORD: 'fabric-secret' })
    .withBindMounts([{ source: proto, target: '/var/lib/clickhouse/format_schemas', mode: 'ro' }])
    .withWaitStrategy(tc.Wait.forHttp('/ping', 8123))
    .start();
  const url = `http://fabric:fabric-secret@${container.getHost()}:${container.getMappedPort(8123)}`;
  const stop = async (): Promise<void> => void (await container.stop());
  try {
    return { url, user: { name: 'fabric', password: 'fabric-secret' }, version: await version(url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
