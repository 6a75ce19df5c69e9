import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runTool } from './child-processes.js';
import { tools, type SystemTool } from './system-tools.js';
import { containerRuntime } from './containers.js';

/**
 * A real Apache Kafka broker for integration tests, from the first source that answers:
 * `KAFKA_BROKERS` in env, a container runtime (testcontainers), or the official jars fetched from
 * Maven Central by harness/kafka/pom.xml and run here as a single KRaft node on free ports.
 */
export interface KafkaBroker {
  brokers: string[];
  source: 'env' | 'container' | 'jars';
  /** Broker version when we started it (the pom's); unknown for `KAFKA_BROKERS`. */
  version: string | undefined;
  /** Wall time startKafka took, jar fetch included. */
  startedInMs: number;
  stop(): Promise<void>;
  /** Only for a broker started here: takes it down abruptly, keeping its data and its port. */
  kill?(): Promise<void>;
  /** Brings a killed broker back on the same port with the same data, and waits until it serves. */
  restart?(): Promise<void>;
}

const root = findRepoRoot();
const pom = join(root, 'harness/kafka/pom.xml');
const readyTimeoutMs = 90_000;

/** The broker version pinned in the pom (the cache directory is keyed by it). */
export const kafkaVersion: string =
  /<kafka\.version>([^<]+)</.exec(readFileSync(pom, 'utf8'))?.[1] ?? 'unknown';

/** Where the jars of the pinned version are kept once fetched. */
const jarsDir = join(root, '.cache/kafka-libs', kafkaVersion);

const containerFallback = 'running Kafka from jars';

/**
 * The system tools startKafka will need: none for `KAFKA_BROKERS` or a container runtime; else java to
 * run the jars, and mvn to fetch them unless a run before did.
 */
export async function kafkaTools(): Promise<SystemTool[]> {
  if (process.env.KAFKA_BROKERS?.trim()) return [];
  if (await containerRuntime('Kafka', containerFallback)) return [];
  return existsSync(jarsDir) ? [tools.java] : [tools.java, tools.mvn];
}

export async function startKafka(): Promise<KafkaBroker> {
  const began = Date.now();
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    const brokers = fromEnv
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    return { brokers, source: 'env', version: undefined, startedInMs: 0, stop: async () => undefined };
  }
  const started = (await startInContainer()) ?? (await startFromJars());
  return { ...started, startedInMs: Date.now() - began };
}

type Started = Omit<KafkaBroker, 'startedInMs'>;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('harness/kafka: no package.json above this file');
    dir = parent;
  }
  return dir;
}

async function run(cmd: string, args: string[], what: string, timeoutMs: number): Promise<void> {
  try {
    await runTool(cmd, args, { timeoutMs });
  } catch (err) {
    throw new Error(`${what} failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The broker jars, fetched once per pinned version into .cache/kafka-libs/<version>. Maven writes to
 * a temporary directory that is renamed at the end, so an interrupted fetch never looks complete.
 */
export async function kafkaJars(): Promise<string> {
  if (existsSync(jarsDir)) return jarsDir;
  const partial = `${jarsDir}.partial-${process.pid}`;
  await run(
    tools.mvn.command,
    [
      ...['-q', '-B', '-Dstyle.color=never', '-f', pom],
      `-Dmaven.repo.local=${join(root, '.cache/m2')}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${partial}`,
    ],
    `fetching Apache Kafka ${kafkaVersion} jars with Maven (needs mvn and Maven Central)`,
    // A cold fetch is some 100 MB of jars; a stalled download must not hang the suite.
    10 * 60_000,
  );
  try {
    renameSync(partial, jarsDir);
  } catch (err) {
    // Another test process finished the same fetch first: use its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(jarsDir)) throw err;
  }
  return jarsDir;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** Answers when the port accepts connections and the broker serves metadata (listing topics). */
async function brokerServes(broker: string): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = broker.split(':');
  if (!(await portOpen(host, Number(port)))) return false;
  const admin = new Kafka({
    brokers: [broker],
    clientId: 'fabricscope-test-infra',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function waitUntilServing(broker: string, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Kafka broker exited before serving: ${why}`);
    if (await brokerServes(broker)) return;
    await sleep(200);
  }
  throw new Error(`Kafka broker on ${broker} did not serve within ${readyTimeoutMs} ms`);
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `log.dirs=${join(dir, 'data')}`,
    'num.partitions=1',
    // The bus creates its topics; a typo'd topic must fail, not appear.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // After kill -9 the restarted node cannot register again until its old session expires (9 s by
    // default): keep that short so "broker down for a while" tests measure our recovery, not this.
    'broker.heartbeat.interval.ms=500',
    'broker.session.timeout.ms=2000',
    '',
  ].join('\n');
}

/**
 * Runs a command so that it dies with us even if we are killed -9: a small sh wrapper starts it and
 * kills it when our end of its stdin closes (which the kernel does when this process goes away).
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'pid=$!',
  '( read line <&3; kill -9 $pid 2>/dev/null ) &',
  'watcher=$!',
  'wait $pid; code=$?',
  'kill $watcher 2>/dev/null',
  'exit $code',
].join('\n');

/** Temporary broker directories in use, removed at exit (after kill -9 the watchdog still ends the broker). */
const liveDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** A single-node KRaft broker run from the jars, in its own temporary directory. */
class JarBroker {
  private child: ChildProcess | undefined;
  private exitReason: string | undefined;
  readonly broker: string;

  constructor(
    private readonly jars: string,
    private readonly dir: string,
    port: number,
  ) {
    this.broker = `127.0.0.1:${port}`;
  }

  static async create(): Promise<JarBroker> {
    const jars = await kafkaJars();
    const dir = mkdtempSync(join(tmpdir(), 'fabricscope-kafka-'));
    liveDirs.add(dir);
    const [port, controllerPort] = [await freePort(), await freePort()];
    writeFileSync(join(dir, 'server.properties'), serverProperties(dir, port, controllerPort));
    const broker = new JarBroker(jars, dir, port);
    await broker.format();
    return broker;
  }

  private java(mainClass: string, ...args: string[]): string[] {
    return [
      '-Xms128m',
      '-Xmx512m',
      '-Djava.awt.headless=true',
      '-cp',
      join(this.jars, '*'),
      mainClass,
      ...args,
    ];
  }

  private async format(): Promise<void> {
    // A cluster id is 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` prints it.
    const clusterId = randomBytes(16).toString('base64url');
    const props = join(this.dir, 'server.properties');
    await run(
      tools.java.command,
      // As `--cluster-id=…`: an id may start with '-', which the tool would take for an option.
      this.java('kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props),
      'formatting Kafka storage',
      120_000,
    );
  }

  async start(): Promise<void> {
    const logFd = openSync(join(this.dir, 'broker.log'), 'a');
    const args = this.java('kafka.Kafka', join(this.dir, 'server.properties'));
    const child = spawn('sh', ['-c', WATCHDOG, 'kafka-watchdog', tools.java.command, ...args], {
      stdio: ['pipe', logFd, logFd],
    });
    closeSync(logFd);
    this.child = child;
    this.exitReason = undefined;
    child.on('error', (err) => {
      if (this.child === child) this.exitReason = `cannot run the broker: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      if (this.child === child)
        this.exitReason = `exit ${code ?? signal}; see the log tail:\n${this.logTail()}`;
    });
    await waitUntilServing(this.broker, () => this.exitReason);
  }

  /** Closing the watchdog's stdin kills the broker with SIGKILL: a crash, as in production. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    // No pid: the watchdog never started, so no 'exit' will come.
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }

  private logTail(): string {
    try {
      return readFileSync(join(this.dir, 'broker.log'), 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }
}

async function startFromJars(): Promise<Started> {
  const broker = await JarBroker.create();
  try {
    await broker.start();
  } catch (err) {
    await broker.stop();
    throw err;
  }
  return {
    brokers: [broker.broker],
    source: 'jars',
    version: kafkaVersion,
    stop: () => broker.stop(),
    kill: () => broker.kill(),
    restart: async () => {
      await broker.kill();
      await broker.start();
    },
  };
}

/** The official apache/kafka image as a single KRaft node, advertised on a fixed free host port. */
async function startInContainer(): Promise<Started | undefined> {
  const tc = await containerRuntime('Kafka', containerFallback);
  if (!tc) return undefined;
  const port = await freePort();
  const container = await new tc.GenericContainer(`apache/kafka:${kafkaVersion}`)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_BROKER_HEARTBEAT_INTERVAL_MS: '500',
      KAFKA_BROKER_SESSION_TIMEOUT_MS: '2000',
    })
    .withStartupTimeout(readyTimeoutMs)
    .start();
  const broker = `127.0.0.1:${port}`;
  await waitUntilServing(broker, () => undefined).catch(async (err: unknown) => {
    await container.stop();
    throw err;
  });
  const client = await tc.getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  return {
    brokers: [broker],
    source: 'container',
    version: kafkaVersion,
    stop: async () => void (await container.stop()),
    kill: () => client.container.stop(handle, { timeout: 0 }),
    restart: async () => {
      await client.container.start(handle);
      await waitUntilServing(broker, () => undefined);
    },
  };
}
