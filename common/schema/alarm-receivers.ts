import { SEALED_PREFIX } from '../notify/secret-box.js';
import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * The webhook receivers of alarm notifications (migration 9), versioned as alarm_rules are: every
 * version of every receiver, the newest of each name in force. The alarm engine alone writes it: the
 * receivers written at run time through the API (source `api`), and at its start those of its
 * `--alarm-webhooks` (source `config`) whose definition or secret differs from the newest stored, so
 * that the API can list and test them and a run-time disable outlives a restart. No TTL: written by
 * hand, few rows. `secret` is the HMAC key, sealed (common/notify/secret-box.ts: whoever reads the
 * warehouse reads no secret), or '' when the engine had no key to seal it with; the API never returns
 * it; every version keeps its own (a rotated secret stays in the older version). Rows stored before
 * sealing hold it plain until the engine's start seals them (sealPlainSecret): no migration, since
 * only the engine has the key.
 */
export const receiverStatuses = ['enabled', 'disabled', 'deleted'] as const;
export type ReceiverStatus = (typeof receiverStatuses)[number];
export const receiverSources = ['config', 'api'] as const;
export type ReceiverSource = (typeof receiverSources)[number];

/**
 * `version`: 1, 2, … per name, never reused. `receiver`: its definition as JSON without name and
 * secret (common/notify/receivers.ts `definitionOf`), '' once deleted. `author`: who the caller said
 * it is (`config` for the engine's own writes).
 */
export const alarmReceiverStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS alarm_receivers (
      name String,
      version UInt64,
      source Enum8(${receiverSources.map((s, i) => `'${s}' = ${i}`).join(', ')}),
      receiver String,
      secret String,
      status Enum8(${receiverStatuses.map((s, i) => `'${s}' = ${i}`).join(', ')}),
      author String,
      at DateTime64(3, 'UTC')
    ) ENGINE = MergeTree
    ORDER BY (name, version)`,
];

/** One stored version of a receiver: a row of `alarm_receivers`. */
export interface ReceiverVersion {
  name: string;
  version: number;
  source: ReceiverSource;
  /** Its definition's JSON; '' once deleted. */
  receiver: string;
  secret: string;
  status: ReceiverStatus;
  author: string;
  /** When it was stored (ms). */
  at: number;
}

/**
 * Every stored version (a few per receiver: read whole). Each engine instance stores a change it is
 * sent unless stored already, so two at once may both store one version: the first stored counts.
 */
export async function readReceiverVersions(warehouse: Warehouse): Promise<ReceiverVersion[]> {
  const rows = await warehouse.query<
    Omit<ReceiverVersion, 'version' | 'at'> & { version: string; at_ms: string }
  >(
    `SELECT name, toString(version) AS version, toString(source) AS source, receiver, secret,
       toString(status) AS status, author, toString(toUnixTimestamp64Milli(at)) AS at_ms
     FROM alarm_receivers ORDER BY name, version, at, receiver, secret, status, source, author
     LIMIT 1 BY name, version`,
  );
  return rows.map(({ at_ms, ...row }) => ({ ...row, version: Number(row.version), at: Number(at_ms) }));
}

export async function storeReceiverVersion(warehouse: Warehouse, v: ReceiverVersion): Promise<void> {
  await warehouse.exec(
    `INSERT INTO alarm_receivers (name, version, source, receiver, secret, status, author, at)
     SELECT {name:String}, {version:UInt64}, {source:String}, {receiver:String}, {secret:String},
       {status:String}, {author:String}, fromUnixTimestamp64Milli(toInt64({at:Int64}), 'UTC')`,
    { ...v },
  );
}

/**
 * Writes a version's secret, stored plain before sealing, sealed: a mutation, waited for. Its text
 * (kept in system.mutations) names the row and holds the sealed secret, never the plain one; it
 * changes nothing once done (only a row not sealed is rewritten), so two engines may both run it.
 */
export async function sealPlainSecret(
  warehouse: Warehouse,
  v: Pick<ReceiverVersion, 'name' | 'version'>,
  sealed: string,
): Promise<void> {
  await warehouse.exec(
    `ALTER TABLE alarm_receivers UPDATE secret = {sealed:String}
     WHERE name = {name:String} AND version = {version:UInt64} AND secret != ''
       AND NOT startsWith(secret, {prefix:String})
     SETTINGS mutations_sync = 2`,
    { name: v.name, version: v.version, sealed, prefix: SEALED_PREFIX },
  );
}

/** Whether a stored secret predates sealing: the engine seals it at its start. */
export const storedPlain = (secret: string): boolean => secret !== '' && !secret.startsWith(SEALED_PREFIX);

/** The newest version of each name. */
export function newestReceiverVersions(versions: readonly ReceiverVersion[]): Map<string, ReceiverVersion> {
  const newest = new Map<string, ReceiverVersion>();
  for (const v of versions) {
    const held = newest.get(v.name);
    if (!held || v.version > held.version) newest.set(v.name, v);
  }
  return newest;
}
