import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { FabricError } from './errors.js';
import { parseSecretsKey } from './notify/secret-box.js';

/**
 * Configuration as one table of options: each option's flag, environment variable, default and
 * meaning. Each service owns its section (collector/config.ts, writer/config.ts, …) and bin/ joins
 * them with the shared section below into the table `fabricscope` reads. Precedence: flags > env >
 * config file > defaults. The README's table is printed by `fabricscope config --markdown`.
 */
export interface OptionSpec<T = unknown> {
  flag: string;
  env: string;
  default: unknown;
  schema: z.ZodType<T, unknown>;
  help: string;
  /**
   * For a value holding secrets: what `fabricscope config` prints of it (secrets withheld). An
   * invalid value of such an option is not printed at all.
   */
  redact?(value: T): unknown;
}
export type OptionTable = Record<string, OptionSpec>;
export type ConfigOf<T extends OptionTable> = { -readonly [K in keyof T]: z.output<T[K]['schema']> };

export const port = z.coerce.number().int().min(0).max(65535);
export const positive = z.coerce.number().int().positive();
export const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)),
);

export const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text, 'duration');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** What every service shares: where data lives, the HTTP side, logging, the bus and the warehouse. */
export const sharedOptions = {
  dataDir: {
    flag: 'data-dir',
    env: 'FABRICSCOPE_DATA_DIR',
    default: './data',
    schema: z.string().min(1),
    help: 'Data directory of the embedded warehouse (chdb) and the in-process bus log (bus/)',
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
  busMaxBytes: {
    flag: 'bus-max-bytes',
    env: 'FABRICSCOPE_BUS_MAX_BYTES',
    default: 256 * 1024 * 1024,
    schema: positive,
    help: 'In-process bus, a log on disk under the data dir: bytes acked but not yet consumed by every reader, at most; acks wait beyond it',
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
    default: 'zstd',
    schema: z.enum(['zstd', 'gzip', 'none']),
    help: 'Compression of produced Kafka batches: zstd (smaller than gzip for a tenth of its CPU), gzip, or none (no CPU, for fast links); every fabricscope consumer reads all three',
  },
  clickhouseUrl: {
    flag: 'clickhouse-url',
    env: 'CLICKHOUSE_URL',
    default: '',
    schema: z.string(),
    help: 'ClickHouse server HTTP URL (e.g. http://user:pass@host:8123/db); empty uses embedded chdb',
  },
  secretsKey: {
    flag: 'secrets-key',
    env: 'FABRICSCOPE_SECRETS_KEY',
    default: '',
    schema: z.string().transform((text, ctx) => {
      if (text.trim() === '') return undefined;
      try {
        return parseSecretsKey(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
    redact: (key: Buffer | undefined) => (key ? '(withheld)' : ''),
    help: "Key sealing webhook receivers' secrets in the warehouse and on the bus (AES-256-GCM): 32 bytes, base64 or hex, the same for alarms and query. Empty: embedded, <data-dir>/secrets.key (made at first start); with --clickhouse-url, no secret is stored",
  },
} as const satisfies OptionTable;

export type SharedConfig = ConfigOf<typeof sharedOptions>;
export type RawConfig = Record<string, unknown>;

function fromEnv(options: OptionTable, env: NodeJS.ProcessEnv): RawConfig {
  const raw: RawConfig = {};
  for (const [key, opt] of Object.entries(options)) {
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
export function loadConfig<T extends OptionTable>(
  options: T,
  flags: RawConfig = {},
  env: NodeJS.ProcessEnv = process.env,
  file = env.FABRICSCOPE_CONFIG,
): ConfigOf<T> {
  const merged: RawConfig = { ...fromFile(file), ...fromEnv(options, env), ...flags };
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, opt] of Object.entries(options)) {
    const value = merged[key] ?? opt.default;
    const parsed = opt.schema.safeParse(value);
    if (parsed.success) config[key] = parsed.data;
    else
      problems.push(
        `--${opt.flag} / ${opt.env} = ${opt.redact ? '(withheld)' : JSON.stringify(value)}: ${issueOf(parsed.error)}`,
      );
  }
  if (problems.length > 0) throw new FabricError('CONFIG', `invalid configuration: ${problems.join('; ')}`);
  return config as ConfigOf<T>;
}

/** The first issue, with where in the value it is (e.g. `0.url`), so that a list's element is named. */
const issueOf = (error: z.ZodError): string => {
  const [issue] = error.issues;
  return issue?.path.length ? `${issue.path.join('.')}: ${issue.message}` : (issue?.message ?? '');
};

/** The configuration as `fabricscope config` prints it: secrets withheld. */
export function printableConfig(
  options: OptionTable,
  config: Record<string, unknown>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, options[key]?.redact?.(value) ?? value]),
  );
}

export function configMarkdown(options: OptionTable): string {
  const rows = Object.values(options).map(
    (o) => `| \`--${o.flag}\` | \`${o.env}\` | \`${JSON.stringify(o.default)}\` | ${o.help} |`,
  );
  return ['| flag | env | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
