import { errorMessage, FabricError, invalid } from '../errors.js';
import {
  newestReceiverVersions,
  storedPlain,
  type ReceiverSource,
  type ReceiverVersion,
} from '../schema/alarm-receivers.js';
import {
  checkedReceiver,
  definitionOf,
  issuesOf,
  parseQuietly,
  receiverSchema,
  type WebhookReceiver,
} from './receivers.js';
import type { SecretBox } from './secret-box.js';
import { SECRETS_KEY_OPTION } from './secrets-key.js';

export const receiverOperations = ['create', 'replace', 'disable', 'enable', 'delete'] as const;
export type ReceiverOperation = (typeof receiverOperations)[number];

/** A change of one receiver, as the API asks it and the engine applies it. */
export interface ReceiverChange {
  operation: ReceiverOperation;
  name: string;
  /** Its definition's JSON, without name and secret (create, replace). */
  receiver: string;
  /**
   * The secret (create; replace: '' keeps the one stored): sealed (secret-box.ts) once the API has
   * checked it, so that the bus and the warehouse only ever hold it sealed.
   */
  secret: string;
  /** The receiver's newest stored version the change was checked against (0: none). */
  expectedVersion: number;
  author: string;
}

/** A receiver as stored: everything but its secret, which `stored.secret` holds sealed. */
export type StoredReceiver = Omit<WebhookReceiver, 'secret'>;

/** A receiver as it stands: checked, where it comes from, whether it is sent anything. */
export interface EffectiveReceiver {
  receiver: StoredReceiver;
  source: ReceiverSource;
  enabled: boolean;
  stored: ReceiverVersion;
}

/** A stored version that no longer checks (a later release reading stricter): left out, reported. */
export interface ReceiverFault {
  name: string;
  version: number;
  error: string;
}

const storedSchema = receiverSchema.omit({ secret: true });

/** The receiver a stored version holds, checked as a configured one is (its secret aside). */
function receiverOf(v: ReceiverVersion): StoredReceiver {
  const parsed = storedSchema.safeParse({
    ...(parseQuietly(v.receiver, `alarm receiver ${v.name}`) as object),
    name: v.name,
  });
  if (!parsed.success) throw invalid(`alarm receiver refused: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

/**
 * A receiver with its secret opened, to sign with. FAILED_PRECONDITION naming the receiver (never
 * the secret, sealed or not) when there is no secret stored, no key here, or the secret stored does
 * not open with it (another key, altered), or was stored unsealed (before sealing: the engine
 * seals it at its start).
 */
export function openedReceiver(
  { receiver, stored }: EffectiveReceiver,
  secrets: SecretBox | undefined,
): WebhookReceiver {
  const refuse = (why: string): never => {
    throw new FabricError('FAILED_PRECONDITION', `alarm receiver ${receiver.name}: ${why}`);
  };
  if (stored.secret === '') {
    return refuse(`its secret is not stored (the alarm engine had no ${SECRETS_KEY_OPTION} to seal it with)`);
  }
  if (storedPlain(stored.secret)) {
    return refuse(
      `its secret is stored unsealed: the alarm engine seals it at its start with ${SECRETS_KEY_OPTION}`,
    );
  }
  if (!secrets)
    return refuse(`its secret is sealed and this process has no ${SECRETS_KEY_OPTION} (the alarm engine's)`);
  try {
    return { ...receiver, secret: secrets.open(stored.secret) };
  } catch (err) {
    return refuse(
      `its secret ${errorMessage(err)}: give the key it was sealed with, or replace it with its secret`,
    );
  }
}

/**
 * The receivers in force, by name: the newest version of each name, unless a deletion. `gone`: the
 * names stored once and deleted since, whose deliveries still pending are given up.
 */
export function effectiveReceivers(versions: readonly ReceiverVersion[]): {
  receivers: EffectiveReceiver[];
  gone: string[];
  faults: ReceiverFault[];
} {
  const receivers: EffectiveReceiver[] = [];
  const gone: string[] = [];
  const faults: ReceiverFault[] = [];
  for (const stored of newestReceiverVersions(versions).values()) {
    if (stored.status === 'deleted') {
      gone.push(stored.name);
      continue;
    }
    try {
      const receiver = receiverOf(stored);
      receivers.push({ receiver, source: stored.source, enabled: stored.status === 'enabled', stored });
    } catch (err) {
      faults.push({ name: stored.name, version: stored.version, error: errorMessage(err) });
    }
  }
  return { receivers: receivers.sort((a, b) => a.stored.name.localeCompare(b.stored.name)), gone, faults };
}

/**
 * The version a change stores over the versions stored so far; undefined when it changes nothing
 * (enabling an enabled receiver). Refused (FabricError) when the receiver does not check
 * (INVALID_ARGUMENT, naming every field at fault), is not there (NOT_FOUND), is defined by the
 * configuration and the change is not a disable or enable, or is not at the version the change
 * expects (FAILED_PRECONDITION). The API checks a change with it, the engine again before storing it.
 */
export function planReceiverChange(
  versions: readonly ReceiverVersion[],
  change: ReceiverChange,
  now: number,
): ReceiverVersion | undefined {
  const newest = newestReceiverVersions(versions).get(change.name);
  const at = newest?.version ?? 0;
  if (at !== change.expectedVersion) {
    throw new FabricError(
      'FAILED_PRECONDITION',
      `alarm receiver ${change.name} is at version ${at}, not ${change.expectedVersion}: read it again and change it from version ${at}`,
    );
  }
  const current = newest?.status === 'deleted' ? undefined : newest;
  const next = (
    fields: Pick<ReceiverVersion, 'source' | 'receiver' | 'secret' | 'status'>,
  ): ReceiverVersion => ({
    name: change.name,
    version: at + 1,
    ...fields,
    author: change.author,
    at: now,
  });
  if (change.operation === 'create') {
    if (current) {
      throw new FabricError(
        'FAILED_PRECONDITION',
        `alarm receiver ${change.name} exists (${current.source}, version ${current.version}): replace it from version ${current.version}`,
      );
    }
    return next({ source: 'api', ...checked(change, change.secret), status: 'enabled' });
  }
  if (!current) throw new FabricError('NOT_FOUND', `no alarm receiver ${change.name}`);
  switch (change.operation) {
    case 'replace':
      configured(current, 'replaced');
      return next({
        source: 'api',
        ...checked(change, change.secret || current.secret),
        status: current.status,
      });
    case 'disable':
    case 'enable': {
      const status = change.operation === 'enable' ? 'enabled' : 'disabled';
      const { source, receiver, secret } = current;
      return current.status === status ? undefined : next({ source, receiver, secret, status });
    }
    case 'delete':
      configured(current, 'deleted');
      return next({ source: 'api', receiver: '', secret: '', status: 'deleted' });
  }
}

/** A change's definition and secret, checked as a configured receiver is, defaults written out. */
function checked(change: ReceiverChange, secret: string): Pick<ReceiverVersion, 'receiver' | 'secret'> {
  const definition = parseQuietly(change.receiver, `alarm receiver ${change.name}`);
  const receiver = checkedReceiver({ ...(definition as object), name: change.name, secret });
  return { receiver: JSON.stringify(definitionOf(receiver)), secret };
}

/** A receiver of `--alarm-webhooks` is changed there: here it is only disabled or enabled. */
function configured(current: ReceiverVersion, what: string): void {
  if (current.source !== 'config') return;
  throw new FabricError(
    'FAILED_PRECONDITION',
    `alarm receiver ${current.name} is defined by --alarm-webhooks: it is not ${what} through the API, only disabled or enabled (change it in the configuration)`,
  );
}
