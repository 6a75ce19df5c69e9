import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SharedConfig } from '../config.js';
import { errorMessage, FabricError } from '../errors.js';
import { logger } from '../log.js';
import { KEY_BYTES, parseSecretsKey, SecretBox } from './secret-box.js';

const log = logger('fabricscope');

/** The key generated for an embedded fabricscope, in its data dir. */
export const SECRETS_KEY_FILE = 'secrets.key';
/** How an error names the option. */
export const SECRETS_KEY_OPTION = '--secrets-key / FABRICSCOPE_SECRETS_KEY';

/**
 * The key receivers' secrets are sealed with: `--secrets-key`; else, embedded (no --clickhouse-url,
 * so the query API and the engine are one process over one data dir), `<data-dir>/secrets.key`,
 * generated at the first start, so that `npm start` needs nothing. Else none: a ClickHouse server is
 * shared by processes that must share a key, which only the operator can give them all.
 */
export function secretBoxFor(
  config: Pick<SharedConfig, 'secretsKey' | 'dataDir' | 'clickhouseUrl'>,
): SecretBox | undefined {
  if (config.secretsKey) return new SecretBox(config.secretsKey);
  if (config.clickhouseUrl) {
    log.warn(
      `no ${SECRETS_KEY_OPTION}: webhook receivers' secrets are not stored (configured receivers sign from the configuration; the API refuses receivers with a secret)`,
    );
    return undefined;
  }
  return new SecretBox(keyFile(config.dataDir));
}

/**
 * The key of `<dataDir>/secrets.key`, created if absent: written whole (mode 0600) under a temporary
 * name, then linked to its name, which fails if another process created it first, whose key is then
 * read. CONFIG naming the file when it cannot be read or holds no key.
 */
export function keyFile(dataDir: string): Buffer {
  const path = join(dataDir, SECRETS_KEY_FILE);
  const existing = readKey(path);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
    log.info({ file: path }, "generated the key that seals webhook receivers' secrets");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temporary);
  }
  return readKey(path)!;
}

/** The key a file holds; undefined when there is no file. */
function readKey(path: string): Buffer | undefined {
  try {
    return parseSecretsKey(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FabricError('CONFIG', `secrets key file ${path}: ${errorMessage(err)}`);
  }
}
