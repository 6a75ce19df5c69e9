import { randomUUID } from 'node:crypto';
import type { ConfigOf } from '../../common/config.js';
import { errorMessage } from '../../common/errors.js';
import { logger } from '../../common/log.js';
import { latestAlarms } from '../../common/schema/alarms.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { AlarmStatus, Transition } from '../lifecycle.js';
import type { ReceiverChange } from '../../common/notify/changes.js';
import { PostError } from '../../common/notify/post.js';
import type { SecretBox } from '../../common/notify/secret-box.js';
import { alertmanagerChannel, webhookChannel } from './channels.js';
import type { notifyOptions } from './config.js';
import { Dispatcher, type Channel } from './dispatcher.js';
import { alarmEvent, deliveryId, notificationOf, type AlarmEvent, type AlarmFacts } from './events.js';
import { notifyMetrics } from './metrics.js';
import { deliveryOf, Outbox, type Delivery } from './outbox.js';
import { receives, type WebhookReceiver } from './receivers.js';
import { StoredReceivers } from './stored.js';

const log = logger('alarms');

export type NotifyConfig = ConfigOf<typeof notifyOptions>;

/** A transition as the store writes it, with its alarm. */
export interface StoredTransition {
  change: AlarmFacts;
  transition: Transition;
}

interface Route {
  name: string;
  accepts(alarm: AlarmFacts): boolean;
  /** Sent the active alarms every resend interval. */
  alertmanager: boolean;
}

/**
 * A stored receiver's channel; one whose CA file cannot be read here (a run-time receiver's file is
 * on the engine's host) fails each attempt naming the file, counted and logged, until it is dead.
 */
function channelOf(receiver: WebhookReceiver): Channel {
  try {
    return webhookChannel(receiver);
  } catch (err) {
    const message = errorMessage(err);
    notifyMetrics.receiverErrors.inc({ receiver: receiver.name });
    log.error(
      { receiver: receiver.name, err: message },
      'alarm receiver without its CA: every attempt fails',
    );
    return {
      name: receiver.name,
      concurrency: 1,
      send: () => Promise.reject(new PostError(message)),
    };
  }
}

/** Retry delays: a receiver back within seconds is reached within seconds. */
const RETRY = { minMs: 250, maxMs: 60_000 };
/** An Alertmanager alert expires this many resend intervals after it was last sent (as Prometheus). */
const RESEND_TTL_INTERVALS = 4;

/**
 * Alarm notifications: for each stored transition a receiver hears of, a delivery per receiver that
 * takes it, written to the outbox in the engine's step, sent once the step is stored. At start the
 * pending deliveries of the outbox are sent again; while Alertmanagers are configured, the active
 * alarms are sent to them every resend interval. The webhook receivers are those stored in
 * alarm_receivers (the configured ones stored there at start, the API's written at run time), read
 * again at each change the engine is sent and whenever it gains partitions (reload).
 */
export class Notifier {
  private resendTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private routes: Route[] = [];

  private constructor(
    private readonly outbox: Outbox,
    private readonly dispatcher: Dispatcher,
    private readonly receivers: StoredReceivers,
    private readonly alertmanagers: readonly Channel[],
    private readonly config: NotifyConfig,
    private readonly describe: (alarmType: string) => string,
    private readonly warehouse: Warehouse,
  ) {}

  static async start(
    config: NotifyConfig,
    warehouse: Warehouse,
    describe: (alarmType: string) => string,
    secrets: SecretBox | undefined,
  ): Promise<Notifier> {
    // A configured receiver's CA file is checked now (CONFIG, naming it); a run-time one's at each load.
    for (const receiver of config.alarmWebhooks) webhookChannel(receiver);
    const receivers = new StoredReceivers(warehouse, secrets);
    await receivers.syncConfig(config.alarmWebhooks);
    const ttlMs = config.alertmanagerResendInterval * RESEND_TTL_INTERVALS;
    const alertmanagers = config.alertmanagerUrls.map((url) => alertmanagerChannel(url, ttlMs));
    const outbox = new Outbox(warehouse);
    const dispatcher = new Dispatcher([], outbox, {
      ...RETRY,
      deadAfterMs: config.alarmDeliveryDeadAfter,
    });
    const notifier = new Notifier(outbox, dispatcher, receivers, alertmanagers, config, describe, warehouse);
    await notifier.reload();
    // Twice the dead age: a delivery older than that was due to be dead before fabricscope stopped,
    // unless it was down longer than the dead age (README "Alarm delivery").
    const pending = await outbox.pending(Date.now() - 2 * config.alarmDeliveryDeadAfter);
    if (pending.length > 0) log.info({ pending: pending.length }, 'resuming pending alarm notifications');
    dispatcher.enqueue(pending);
    if (config.alertmanagerUrls.length > 0) notifier.scheduleResend();
    return notifier;
  }

  /**
   * Reads the receivers in force again: they take the next transitions, and the dispatcher sends
   * what is queued with their definitions; those disabled or deleted have their deliveries given up.
   */
  async reload(): Promise<void> {
    const { enabled, refused } = await this.receivers.load();
    this.routes = [
      ...enabled.map((r) => ({
        name: r.name,
        accepts: (a: AlarmFacts) => receives(r, a),
        alertmanager: false,
      })),
      ...this.alertmanagers.map((channel) => ({
        name: channel.name,
        accepts: () => true,
        alertmanager: true,
      })),
    ];
    this.dispatcher.useChannels([...enabled.map(channelOf), ...this.alertmanagers], refused);
  }

  /**
   * A receiver change the API sent (on every partition of the alarms topic): stored unless stored
   * already (stored.ts), then the receivers in force read again. Taken up again when refused or
   * repeated: what is stored is what runs.
   */
  async receiverChanged(change: ReceiverChange): Promise<'applied' | 'refused' | 'unchanged'> {
    const outcome = await this.receivers.apply(change);
    await this.reload();
    return outcome;
  }

  /**
   * Writes the deliveries of the transitions to the outbox; the returned function sends them, called
   * once the transitions are stored (so that a resend, which reads the stored state, never overtakes
   * the notification of a change it does not show yet).
   */
  async write(stored: readonly StoredTransition[]): Promise<() => void> {
    const deliveries = this.deliveriesOf(stored);
    await this.outbox.write(deliveries);
    return () => this.dispatcher.enqueue(deliveries);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.resendTimer);
    await this.dispatcher.close();
  }

  private deliveriesOf(stored: readonly StoredTransition[]): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const { change, transition } of stored) {
      const kind = notificationOf(transition);
      if (!kind) continue;
      for (const route of this.routes) {
        if (!route.accepts(change)) continue;
        const id = deliveryId(route.name, change, transition);
        const event = alarmEvent(id, kind, transition.at, change, this.context(change));
        deliveries.push(deliveryOf(route.name, transition.at, event));
      }
    }
    return deliveries;
  }

  /** The row's description; one written before rows carried it ('') is the built-in rule's. */
  private context(alarm: { alarmType: string; description: string }): {
    description: string;
    graphqlUrl: string;
  } {
    return {
      description: alarm.description || this.describe(alarm.alarmType),
      graphqlUrl: this.config.alarmLinkUrl,
    };
  }

  private scheduleResend(): void {
    if (this.closed) return;
    this.resendTimer = setTimeout(() => {
      this.resend()
        .catch((err: unknown) =>
          log.warn({ err: errorMessage(err) }, 'could not read the active alarms to send them again'),
        )
        .finally(() => this.scheduleResend());
    }, this.config.alertmanagerResendInterval);
  }

  /** Every alarm shown, as stored, to every Alertmanager: queued behind the notifications before it. */
  private async resend(): Promise<void> {
    const rows = await this.warehouse.query<{
      uve_type: string;
      uve_name: string;
      alarm_type: string;
      severity: number;
      at: string;
      status: string;
      description: string;
    }>(
      `SELECT uve_type, uve_name, alarm_type, severity, toUnixTimestamp64Milli(at) AS at, status, description
       FROM (${latestAlarms()}) WHERE state IN ('Active', 'Soak_Idle')`,
    );
    if (rows.length === 0) return;
    const events: AlarmEvent[] = rows.map((row) => {
      const facts: AlarmFacts = {
        uveType: row.uve_type,
        uveName: row.uve_name,
        alarmType: row.alarm_type,
        severity: Number(row.severity),
        description: row.description,
        status: JSON.parse(row.status) as AlarmStatus,
      };
      return alarmEvent('', 'raised', Number(row.at), facts, this.context(facts));
    });
    const body = JSON.stringify(events);
    this.dispatcher.enqueue(
      this.routes
        .filter((route) => route.alertmanager)
        .map((route) => ({
          id: randomUUID(),
          receiver: route.name,
          created: Date.now(),
          body,
          transient: true,
        })),
    );
  }
}
