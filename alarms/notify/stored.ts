import { clientFault } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import {
  effectiveReceivers,
  planReceiverChange,
  type EffectiveReceiver,
  type ReceiverChange,
} from '../../common/notify/changes.js';
import { definitionOf, type WebhookReceiver } from '../../common/notify/receivers.js';
import {
  newestReceiverVersions,
  readReceiverVersions,
  storeReceiverVersion,
  type ReceiverVersion,
} from '../../common/schema/alarm-receivers.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import { notifyMetrics } from './metrics.js';

const log = logger('alarms');

/** Who the engine's own writes (the configured receivers) are stored as written by. */
const CONFIG_AUTHOR = 'config';

/**
 * The versions that make the stored receivers agree with `--alarm-webhooks`: a configured receiver
 * new, or whose definition or secret differs from its newest stored version, is stored (keeping its
 * status: one disabled at run time stays disabled); one stored from the configuration and no longer
 * in it is stored deleted. A receiver of the API with a configured one's name gives way to it.
 */
export function configVersions(
  versions: readonly ReceiverVersion[],
  configured: readonly WebhookReceiver[],
  now: number,
): ReceiverVersion[] {
  const newest = newestReceiverVersions(versions);
  const next = (name: string, fields: Pick<ReceiverVersion, 'receiver' | 'secret' | 'status'>) => ({
    name,
    version: (newest.get(name)?.version ?? 0) + 1,
    source: 'config' as const,
    ...fields,
    author: CONFIG_AUTHOR,
    at: now,
  });
  const writes: ReceiverVersion[] = [];
  for (const receiver of configured) {
    const stored = newest.get(receiver.name);
    const definition = JSON.stringify(definitionOf(receiver));
    const fromConfig = stored?.source === 'config' && stored.status !== 'deleted';
    if (fromConfig && stored.receiver === definition && stored.secret === receiver.secret) continue;
    if (stored && !fromConfig && stored.status !== 'deleted') {
      log.warn(
        { receiver: receiver.name, version: stored.version },
        'a configured alarm receiver replaces the one of its name written through the API',
      );
    }
    const status = fromConfig ? stored.status : 'enabled';
    writes.push(next(receiver.name, { receiver: definition, secret: receiver.secret, status }));
  }
  const names = new Set(configured.map((r) => r.name));
  for (const stored of newest.values()) {
    if (stored.source !== 'config' || stored.status === 'deleted' || names.has(stored.name)) continue;
    writes.push(next(stored.name, { receiver: '', secret: '', status: 'deleted' }));
  }
  return writes;
}

/** What the engine sends to: the receivers enabled, and the names whose deliveries are given up. */
export interface ReceiversInForce {
  enabled: WebhookReceiver[];
  refused: string[];
}

/**
 * The receivers as the warehouse holds them (alarm_receivers). The engine alone writes them: its
 * configured ones at start, and the API's changes, which come to every partition of the alarms
 * topic (as rule changes do) and are checked again here against what is stored.
 */
export class StoredReceivers {
  constructor(private readonly warehouse: Warehouse) {}

  /** Stores what `--alarm-webhooks` changed since the last start (configVersions). */
  async syncConfig(configured: readonly WebhookReceiver[]): Promise<void> {
    const writes = configVersions(await readReceiverVersions(this.warehouse), configured, Date.now());
    for (const version of writes) await this.store(version);
  }

  /**
   * The receivers in force. A stored version that no longer checks is left out, logged and counted
   * (its deliveries stay pending); a receiver disabled or deleted is refused.
   */
  async load(): Promise<ReceiversInForce> {
    const { receivers, gone, faults } = effectiveReceivers(await readReceiverVersions(this.warehouse));
    for (const fault of faults) {
      notifyMetrics.receiverErrors.inc({ receiver: fault.name });
      log.error(fault, 'a stored alarm receiver does not check: left out');
    }
    const off = (r: EffectiveReceiver): boolean => !r.enabled;
    return {
      enabled: receivers.filter((r) => r.enabled).map((r) => r.receiver),
      refused: [...receivers.filter(off).map((r) => r.receiver.name), ...gone],
    };
  }

  /**
   * Stores the version a change makes. One refused (the receiver changed since the API checked it)
   * is logged, and the API tells its caller; one stored already (a redelivery, or this change from
   * another partition) is not stored again.
   */
  async apply(change: ReceiverChange): Promise<'applied' | 'refused' | 'unchanged'> {
    const versions = await readReceiverVersions(this.warehouse);
    let next: ReceiverVersion | undefined;
    try {
      next = planReceiverChange(versions, change, Date.now());
    } catch (err) {
      const refusal = clientFault(err);
      if (!refusal) throw err;
      if (storedAlready(versions, change)) return 'unchanged';
      log.warn({ receiver: change.name, err: refusal.message }, 'refused an alarm receiver change');
      return 'refused';
    }
    if (!next) return 'unchanged';
    await this.store(next);
    return 'applied';
  }

  private async store(version: ReceiverVersion): Promise<void> {
    await storeReceiverVersion(this.warehouse, version);
    const { name, source, status, author } = version;
    log.info(
      { receiver: name, version: version.version, source, status, author },
      'stored an alarm receiver',
    );
  }
}

/** Whether the version after the one the change expected is what the change stores: a redelivery. */
function storedAlready(versions: readonly ReceiverVersion[], change: ReceiverChange): boolean {
  const stored = versions.find((v) => v.name === change.name && v.version === change.expectedVersion + 1);
  if (!stored) return false;
  const before = versions.filter((v) => v.name !== change.name || v.version <= change.expectedVersion);
  try {
    const again = planReceiverChange(before, change, stored.at);
    return (
      again !== undefined &&
      again.receiver === stored.receiver &&
      again.secret === stored.secret &&
      again.status === stored.status &&
      again.author === stored.author
    );
  } catch {
    return false;
  }
}
