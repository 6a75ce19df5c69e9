/** Alarm notifications: webhooks and Alertmanager, through a durable outbox (README "Alarm delivery"). */
export { notifyOptions } from './config.js';
export type { AlarmEvent, NotificationKind } from './events.js';
export { Notifier, type NotifyConfig, type StoredTransition } from './notifier.js';
export { startWebhookReceiver, type ReceivedNotification, type WebhookReceiverOptions } from './receiver.js';
export {
  DEFAULT_TOLERANCE_S,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  SignatureError,
  signatureHeader,
  verifySignature,
} from '../../common/notify/signature.js';
