import { clientFault, errorMessage } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import {
  effectiveReceivers,
  openedReceiver,
  planReceiverChange,
  type EffectiveReceiver,
  type ReceiverChange,
} from '../../common/notify/changes.js';
import { definitionOf, type WebhookReceiver } from '../../common/notify/receivers.js';
import { isSealed, type SecretBox } from '../../common/notify/secret-box.js';
import { SECRETS_KEY_OPTION } from '../../common/notify/secrets-key.js';
import {
  newestReceiverVersions,
  readReceiverVersions,
  sealPlainSecret,
  storedPlain,
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
 * in it is stored deleted. A receiver of the API with a configured one's name gives way to it. The
 * secret is stored sealed under `secrets`, or '' without a key (the engine signs from the
 * configuration); a stored one that does not open under the key (another key) is stored again.
 */
export function configVersions(
  versions: readonly ReceiverVersion[],
  configured: readonly WebhookReceiver[],
  now: number,
  secrets: SecretBox | undefined,
): ReceiverVersion[] {
  const newest = newestReceiverVersions(versions);
  const opened = (sealed: string): string | undefined => {
    try {
      return secrets?.open(sealed);
    } catch {
      return undefined;
    }
  };
  const sameSecret = (stored: string, secret: string): boolean =>
    secrets ? opened(stored) === secret : stored === '';
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
    if (fromConfig && stored.receiver === definition && sameSecret(stored.secret, receiver.secret)) continue;
    if (stored && !fromConfig && stored.status !== 'deleted') {
      log.warn(
        { receiver: receiver.name, version: stored.version },
        'a configured alarm receiver replaces the one of its name written through the API',
      );
    }
    const status = fromConfig ? stored.status : 'enabled';
    const secret = secrets?.seal(receiver.secret) ?? '';
    writes.push(next(receiver.name, { receiver: definition, secret, status }));
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
 * topic (as rule changes do) and are checked again here against what is stored. Secrets are stored
 * sealed under `secrets` (the API seals its receivers', the engine its configured ones') and opened
 * here to sign; without a key the configured receivers sign from the configuration.
 */
export class StoredReceivers {
  private configured = new Map<string, WebhookReceiver>();

  constructor(
    private readonly warehouse: Warehouse,
    private readonly secrets: SecretBox | undefined,
  ) {}

  /**
   * Seals the secrets stored before sealing, then stores what `--alarm-webhooks` changed since the
   * last start (configVersions). Without a key, a configured receiver's secret is not stored (the
   * API cannot test-send it): logged and counted.
   */
  async syncConfig(configured: readonly WebhookReceiver[]): Promise<void> {
    this.configured = new Map(configured.map((r) => [r.name, r]));
    await this.sealPlainSecrets(await readReceiverVersions(this.warehouse));
    const versions = await readReceiverVersions(this.warehouse);
    const writes = configVersions(versions, configured, Date.now(), this.secrets);
    for (const version of writes) await this.store(version);
    if (this.secrets) return;
    for (const { name } of configured) {
      notifyMetrics.receiverErrors.inc({ receiver: name });
      log.warn(
        { receiver: name },
        `configured alarm receiver's secret not stored (no ${SECRETS_KEY_OPTION} to seal it with): it signs from the configuration, the API cannot test-send it`,
      );
    }
  }

  /**
   * The one-time step of an upgrade: every version stored with its secret plain (before sealing)
   * is rewritten sealed; nothing once done. Without a key they stay as they are and are not used:
   * logged and counted, each.
   */
  private async sealPlainSecrets(versions: readonly ReceiverVersion[]): Promise<void> {
    for (const version of versions.filter((v) => storedPlain(v.secret))) {
      const { name } = version;
      if (!this.secrets) {
        notifyMetrics.receiverErrors.inc({ receiver: name });
        log.error(
          { receiver: name, version: version.version },
          `alarm receiver's secret stored unsealed, and not used: give the engine ${SECRETS_KEY_OPTION} and it is sealed at start`,
        );
        continue;
      }
      await sealPlainSecret(this.warehouse, version, this.secrets.seal(version.secret));
      log.info(
        { receiver: name, version: version.version },
        "sealed an alarm receiver's secret stored plain",
      );
    }
  }

  /**
   * The receivers in force, their secrets opened. A stored version that no longer checks, or whose
   * secret does not open, is left out, logged and counted (its deliveries stay pending); a receiver
   * disabled or deleted is refused.
   */
  async load(): Promise<ReceiversInForce> {
    const { receivers, gone, faults } = effectiveReceivers(await readReceiverVersions(this.warehouse));
    const enabled: WebhookReceiver[] = [];
    for (const receiver of receivers.filter((r) => r.enabled)) {
      try {
        enabled.push(this.opened(receiver));
      } catch (err) {
        const { name, version } = receiver.stored;
        faults.push({ name, version, error: errorMessage(err) });
      }
    }
    for (const fault of faults) {
      notifyMetrics.receiverErrors.inc({ receiver: fault.name });
      log.error(fault, 'a stored alarm receiver cannot be used: left out');
    }
    const off = (r: EffectiveReceiver): boolean => !r.enabled;
    return { enabled, refused: [...receivers.filter(off).map((r) => r.receiver.name), ...gone] };
  }

  /** Its secret opened; a configured one stored without (no key) signs from the configuration. */
  private opened(receiver: EffectiveReceiver): WebhookReceiver {
    const configured = this.configured.get(receiver.receiver.name);
    const { source, secret } = receiver.stored;
    if (source === 'config' && secret === '' && configured)
      return { ...receiver.receiver, secret: configured.secret };
    return openedReceiver(receiver, this.secrets);
  }

  /**
   * Stores the version a change makes. One refused (the receiver changed since the API checked it,
   * or its secret is not sealed) is logged, and the API tells its caller; one stored already (a
   * redelivery, or this change from another partition) is not stored again.
   */
  async apply(change: ReceiverChange): Promise<'applied' | 'refused' | 'unchanged'> {
    if (change.secret !== '' && !isSealed(change.secret)) {
      notifyMetrics.receiverErrors.inc({ receiver: change.name });
      log.warn(
        { receiver: change.name, operation: change.operation },
        'refused an alarm receiver change whose secret is not sealed (sent by a query service older than sealing?): not stored',
      );
      return 'refused';
    }
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
