import { receiverChangeMessage } from '../../common/bus/alarm-commands.js';
import { errorMessage, FabricError, invalid } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import {
  effectiveReceivers,
  openedReceiver,
  planReceiverChange,
  type EffectiveReceiver,
  type ReceiverChange,
  type ReceiverOperation,
} from '../../common/notify/changes.js';
import { receiverErrors } from '../../common/notify/metrics.js';
import { definitionOf, type WebhookReceiver } from '../../common/notify/receivers.js';
import type { SecretBox } from '../../common/notify/secret-box.js';
import { SECRETS_KEY_OPTION } from '../../common/notify/secrets-key.js';
import { sendTest } from '../../common/notify/send.js';
import {
  newestReceiverVersions,
  readReceiverVersions,
  type ReceiverVersion,
} from '../../common/schema/alarm-receivers.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type {
  AlarmReceiver,
  AlarmReceiverInput,
  AlarmReceiverSource,
  AlarmSeverity,
  MutationResolvers,
  QueryResolvers,
} from '../generated/graphql.js';
import type { MutationDeps } from '../index.js';
import { resolver } from '../shared/resolve.js';
import { microsToRfc3339 } from '../shared/time.js';
import { storedByEngine } from './stored-by-engine.js';

const log = logger('query');
const limited = rateLimited(log);

/**
 * A receiver as the API shows it: its fields one by one, never its secret (secretSet says one is:
 * stored, or, for a configured one stored without, in the engine's configuration). The secret,
 * sealed, is in what the warehouse answered and nowhere in this object.
 */
function toAlarmReceiver({ receiver, source, enabled, stored }: EffectiveReceiver): AlarmReceiver {
  return {
    name: receiver.name,
    source: source.toUpperCase() as AlarmReceiverSource,
    enabled,
    url: receiver.url,
    severities: receiver.severities?.map((s) => s.toUpperCase() as AlarmSeverity) ?? null,
    types: receiver.types ?? null,
    uveTypes: receiver.uveTypes ?? null,
    names: receiver.names ?? null,
    concurrency: receiver.concurrency,
    timeout: definitionOf(receiver).timeout ?? '',
    ca: receiver.ca ?? null,
    secretSet: stored.secret !== '' || source === 'config',
    version: stored.version,
    updatedBy: stored.author || null,
    updatedAt: microsToRfc3339(stored.at * 1000),
  };
}

/** The receivers in force; one stored that no longer checks is left out, and logged (the engine counts it). */
async function receiversInForce(warehouse: Warehouse): Promise<EffectiveReceiver[]> {
  const { receivers, faults } = effectiveReceivers(await readReceiverVersions(warehouse));
  for (const fault of faults) {
    limited.warn(fault.name, fault, 'a stored alarm receiver does not check: not shown');
  }
  return receivers;
}

async function receiverNamed(warehouse: Warehouse, name: string): Promise<EffectiveReceiver> {
  const found = (await receiversInForce(warehouse)).find((r) => r.receiver.name === name);
  if (!found) throw new FabricError('NOT_FOUND', `no alarm receiver ${name}`);
  return found;
}

export function alarmReceiverResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    alarmReceivers: resolver('alarmReceivers', async () =>
      (await receiversInForce(warehouse)).map(toAlarmReceiver),
    ),
  };
}

/** The GraphQL input as the receivers' schema takes it (common/notify/receivers.ts checks it). */
function definitionJson(input: AlarmReceiverInput): string {
  const { severities, ...rest } = input;
  const fields = { ...rest, severities: severities?.map((s) => s.toLowerCase()) };
  return JSON.stringify(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)));
}

/** The Secret scalar takes any value, so that no coercion error quotes it: its type is checked here. */
function secretText(secret: unknown): string {
  if (secret === undefined || secret === null) return '';
  if (typeof secret !== 'string')
    throw invalid('alarm receiver refused: secret: a string of at least 16 characters');
  return secret;
}

/**
 * The receiver mutations, as the rule mutations (rules.ts): the API checks a change against what is
 * stored, with the validator of `--alarm-webhooks`, and sends it on the bus to every partition of the
 * alarms topic; the engine alone writes alarm_receivers. The answer is the receiver once stored.
 * testAlarmReceiver sends from this process (common/notify/send.ts): nothing is stored.
 */
export function alarmReceiverMutations(
  warehouse: Warehouse,
  { bus, waitMs, secrets }: MutationDeps,
): MutationResolvers {
  /** A secret sealed for the bus and the warehouse; refused where there is no key to seal it with. */
  const sealed = (name: string, secret: string): string => {
    if (secret === '') return '';
    if (!secrets) {
      throw new FabricError(
        'FAILED_PRECONDITION',
        `alarm receiver ${name}: its secret cannot be stored: this process has no ${SECRETS_KEY_OPTION} to seal it with (give it the alarm engine's key)`,
      );
    }
    return secrets.seal(secret);
  };

  async function change(
    operation: ReceiverOperation,
    name: string,
    fields: {
      receiver?: AlarmReceiverInput;
      secret?: unknown;
      author?: string | null;
      expectedVersion?: number;
    },
  ): Promise<void> {
    const versions = await readReceiverVersions(warehouse);
    const request: ReceiverChange = {
      operation,
      name,
      receiver: fields.receiver ? definitionJson(fields.receiver) : '',
      secret: secretText(fields.secret),
      expectedVersion: fields.expectedVersion ?? newestReceiverVersions(versions).get(name)?.version ?? 0,
      author: fields.author ?? '',
    };
    // Checked with the secret as given, then sent and stored sealed: the version the engine stores.
    if (!planReceiverChange(versions, request, Date.now())) return;
    const sent = { ...request, secret: sealed(name, request.secret) };
    const planned = planReceiverChange(versions, sent, Date.now())!;
    if (!bus) throw unreachable();
    await bus.broadcast('alarms', [receiverChangeMessage(sent)]);
    await storedBy(planned);
    log.info({ receiver: name, operation, version: planned.version }, 'alarm receiver changed');
  }

  /** Waits for the engine to store the planned version; another one there instead is a stale change. */
  const storedBy = (planned: ReceiverVersion): Promise<void> =>
    storedByEngine(
      'receiver',
      planned.name,
      planned,
      () => readReceiverVersions(warehouse),
      (stored) => (['receiver', 'secret', 'status'] as const).every((f) => stored[f] === planned[f]),
      waitMs,
    );

  const shown = async (name: string) => toAlarmReceiver(await receiverNamed(warehouse, name));

  return {
    createAlarmReceiver: resolver('createAlarmReceiver', async ({ name, receiver, secret, author }) => {
      await change('create', name, { receiver, secret, author });
      return shown(name);
    }),
    replaceAlarmReceiver: resolver(
      'replaceAlarmReceiver',
      async ({ name, receiver, secret, expectedVersion, author }) => {
        await change('replace', name, { receiver, secret, author, expectedVersion });
        return shown(name);
      },
    ),
    disableAlarmReceiver: resolver('disableAlarmReceiver', async ({ name, author }) => {
      await change('disable', name, { author });
      return shown(name);
    }),
    enableAlarmReceiver: resolver('enableAlarmReceiver', async ({ name, author }) => {
      await change('enable', name, { author });
      return shown(name);
    }),
    deleteAlarmReceiver: resolver('deleteAlarmReceiver', async ({ name, author }) => {
      await change('delete', name, { author });
      return true;
    }),
    testAlarmReceiver: resolver('testAlarmReceiver', async ({ name }) => {
      const outcome = await sendTest(openedFor(await receiverNamed(warehouse, name), secrets));
      log.info({ receiver: name, ...outcome }, 'sent a test delivery to an alarm receiver');
      return { receiver: name, ...outcome };
    }),
  };
}

/** A receiver with its secret opened to sign; one that does not open is logged and counted. */
function openedFor(found: EffectiveReceiver, secrets: SecretBox | undefined): WebhookReceiver {
  try {
    return openedReceiver(found, secrets);
  } catch (err) {
    receiverErrors.inc({ receiver: found.receiver.name });
    limited.warn(
      found.receiver.name,
      { receiver: found.receiver.name, err: errorMessage(err) },
      'cannot test-send an alarm receiver',
    );
    throw err;
  }
}

function unreachable(): FabricError {
  return new FabricError(
    'UNAVAILABLE',
    'alarm receivers are changed by the alarm engine: run the query service with Kafka (--kafka-brokers) or in one process with alarms',
  );
}
