import { setTimeout as sleep } from 'node:timers/promises';
import { receiverChangeMessage } from '../../common/bus/alarm-commands.js';
import { FabricError, invalid } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import {
  effectiveReceivers,
  planReceiverChange,
  type EffectiveReceiver,
  type ReceiverChange,
  type ReceiverOperation,
} from '../../common/notify/changes.js';
import { definitionOf } from '../../common/notify/receivers.js';
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

const log = logger('query');
const limited = rateLimited(log);

/**
 * A receiver as the API shows it: its fields one by one, never its secret (secretSet says one is).
 * The secret is in what the warehouse answered and nowhere in this object.
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
    secretSet: receiver.secret !== '',
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
  { bus, waitMs }: MutationDeps,
): MutationResolvers {
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
    const planned = planReceiverChange(versions, request, Date.now());
    if (!planned) return;
    if (!bus) throw unreachable();
    await bus.broadcast('alarms', [receiverChangeMessage(request)]);
    await storedBy(planned);
    log.info({ receiver: name, operation, version: planned.version }, 'alarm receiver changed');
  }

  /** Waits for the engine to store the planned version; another one there instead is a stale change. */
  async function storedBy(planned: ReceiverVersion): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const versions = (await readReceiverVersions(warehouse)).filter((v) => v.name === planned.name);
      const stored = versions.find((v) => v.version === planned.version);
      if (stored) {
        const same = (['receiver', 'secret', 'status'] as const).every((f) => stored[f] === planned[f]);
        if (same) return;
        const newest = Math.max(...versions.map((v) => v.version));
        throw new FabricError(
          'FAILED_PRECONDITION',
          `alarm receiver ${planned.name} was changed meanwhile: it is at version ${newest}; read it again and change it from version ${newest}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new FabricError(
          'UNAVAILABLE',
          `the alarm engine has not stored the receiver within ${waitMs} ms`,
        );
      }
      await sleep(100);
    }
  }

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
      const { receiver } = await receiverNamed(warehouse, name);
      const outcome = await sendTest(receiver);
      log.info({ receiver: name, ...outcome }, 'sent a test delivery to an alarm receiver');
      return { receiver: name, ...outcome };
    }),
  };
}

function unreachable(): FabricError {
  return new FabricError(
    'UNAVAILABLE',
    'alarm receivers are changed by the alarm engine: run the query service with Kafka (--kafka-brokers) or in one process with alarms',
  );
}
