import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { FabricError } from './errors.js';

/**
 * Every option of every service, in one table: its flag, its environment variable, its default and
 * its meaning. Precedence: flags > env > config file > defaults. The README's table is printed by
 * `fabricscope config --markdown` from this list.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();
const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text, 'duration');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const options = {
  dataDir: {
    flag: 'data-dir',
    env: 'FABRICSCOPE_DATA_DIR',
    default: './data',
    schema: z.string().min(1),
    help: 'Embedded warehouse (chdb) data directory',
  },
  grpcHost: {
    flag: 'grpc-host',
    env: 'FABRICSCOPE_GRPC_HOST',
    default: '0.0.0.0',
    schema: z.string().min(1),
    help: 'Address the gRPC ingest listens on',
  },
  grpcPort: {
    flag: 'grpc-port',
    env: 'FABRICSCOPE_GRPC_PORT',
    default: 50051,
    schema: port,
    help: 'gRPC ingest port (0 picks a free one)',
  },
  httpHost: {
    flag: 'http-host',
    env: 'FABRICSCOPE_HTTP_HOST',
    default: '0.0.0.0',
    schema: z.string().min(1),
    help: 'Address the HTTP server (GraphQL, /metrics, /healthz) listens on',
  },
  httpPort: {
    flag: 'http-port',
    env: 'FABRICSCOPE_HTTP_PORT',
    default: 8081,
    schema: port,
    help: 'HTTP port (0 picks a free one)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'FABRICSCOPE_LOG_LEVEL',
    default: 'info',
    schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    help: 'Log level (JSON lines on stdout)',
  },
  tokens: {
    flag: 'tokens',
    env: 'FABRICSCOPE_TOKENS',
    default: [] as string[],
    schema: list,
    help: 'Comma-separated tokens generators must present in Hello; empty accepts any',
  },
  maxBatchRecords: {
    flag: 'max-batch-records',
    env: 'FABRICSCOPE_MAX_BATCH_RECORDS',
    default: 20000,
    schema: positive,
    help: 'Largest batch a generator may send (records)',
  },
  maxInFlight: {
    flag: 'max-in-flight',
    env: 'FABRICSCOPE_MAX_IN_FLIGHT',
    default: 8,
    schema: positive,
    help: 'Unacked batches per generator stream before the collector stops reading it',
  },
  maxUveBytes: {
    flag: 'max-uve-bytes',
    env: 'FABRICSCOPE_MAX_UVE_BYTES',
    default: 65536,
    schema: positive,
    help: 'Largest UVE struct accepted (encoded bytes); larger ones are rejected',
  },
  generatorGrace: {
    flag: 'generator-grace',
    env: 'FABRICSCOPE_GENERATOR_GRACE',
    default: '30s',
    schema: duration,
    help: "How long a disconnected generator's UVEs stay before they are withdrawn (it resends on reconnect)",
  },
  busMaxBytes: {
    flag: 'bus-max-bytes',
    env: 'FABRICSCOPE_BUS_MAX_BYTES',
    default: 256 * 1024 * 1024,
    schema: positive,
    help: 'In-process bus capacity; publishers wait when it is full',
  },
  writerMaxBytes: {
    flag: 'writer-max-bytes',
    env: 'FABRICSCOPE_WRITER_MAX_BYTES',
    default: 32 * 1024 * 1024,
    schema: positive,
    help: 'Bus bytes the writer gathers into one warehouse insert, at most',
  },
  writerLingerMs: {
    flag: 'writer-linger-ms',
    env: 'FABRICSCOPE_WRITER_LINGER_MS',
    default: 100,
    schema: z.coerce.number().int().min(0),
    help: 'How long the writer waits to fill an insert',
  },
  dedupWindowHours: {
    flag: 'dedup-window-hours',
    env: 'FABRICSCOPE_DEDUP_WINDOW_HOURS',
    default: 24,
    schema: positive,
    help: 'How far back a resent batch is recognised as already stored',
  },
  kafkaBrokers: {
    flag: 'kafka-brokers',
    env: 'KAFKA_BROKERS',
    default: [] as string[],
    schema: list,
    help: 'Comma-separated Kafka bootstrap brokers (host:port); empty uses the in-process bus',
  },
  kafkaPartitions: {
    flag: 'kafka-partitions',
    env: 'FABRICSCOPE_KAFKA_PARTITIONS',
    default: 4,
    schema: positive,
    help: 'Partitions of each topic fabricscope creates',
  },
  kafkaReplicationFactor: {
    flag: 'kafka-replication-factor',
    env: 'FABRICSCOPE_KAFKA_REPLICATION_FACTOR',
    default: 1,
    schema: positive,
    help: 'Replication factor of each topic fabricscope creates',
  },
  kafkaCompression: {
    flag: 'kafka-compression',
    env: 'FABRICSCOPE_KAFKA_COMPRESSION',
    default: 'gzip',
    schema: z.enum(['gzip', 'none']),
    help: 'Compression of produced Kafka batches (gzip costs CPU; none saves it on fast links)',
  },
  clickhouseUrl: {
    flag: 'clickhouse-url',
    env: 'CLICKHOUSE_URL',
    default: '',
    schema: z.string(),
    help: 'ClickHouse server HTTP URL (e.g. http://user:pass@host:8123/db); empty uses embedded chdb',
  },
} as const;

type Options = typeof options;
export type Config = { -readonly [K in keyof Options]: z.output<Options[K]['schema']> };
export type ConfigKey = keyof Options;
export type RawConfig = Partial<Record<ConfigKey, unknown>>;

function fromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const raw: RawConfig = {};
  for (const [key, opt] of Object.entries(options) as [ConfigKey, Options[ConfigKey]][]) {
    const value = env[opt.env];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return raw;
}

function fromFile(path: string | undefined): RawConfig {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RawConfig;
  } catch (err) {
    throw new FabricError('CONFIG', `config file ${path}: ${(err as Error).message}`);
  }
}

/** Merges the sources and validates; an invalid value is named with the source's spelling. */
export function loadConfig(
  flags: RawConfig = {},
  env: NodeJS.ProcessEnv = process.env,
  file = env.FABRICSCOPE_CONFIG,
): Config {
  const merged: RawConfig = { ...fromFile(file), ...fromEnv(env), ...flags };
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, opt] of Object.entries(options) as [ConfigKey, Options[ConfigKey]][]) {
    const value = merged[key] ?? opt.default;
    const parsed = opt.schema.safeParse(value);
    if (parsed.success) config[key] = parsed.data;
    else
      problems.push(
        `--${opt.flag} / ${opt.env} = ${JSON.stringify(value)}: ${parsed.error.issues[0]?.message}`,
      );
  }
  if (problems.length > 0) throw new FabricError('CONFIG', `invalid configuration: ${problems.join('; ')}`);
  return config as Config;
}

export function configMarkdown(): string {
  const rows = Object.values(options).map(
    (o) => `| \`--${o.flag}\` | \`${o.env}\` | \`${JSON.stringify(o.default)}\` | ${o.help} |`,
  );
  return ['| flag | env | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
