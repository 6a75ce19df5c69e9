import { counter } from '../metrics.js';

/**
 * Receivers that cannot be sent to as stored, by name, wherever found (the engine at a load, the API
 * at a test delivery): a stored version that no longer checks, a CA file that cannot be read, a
 * secret that cannot be opened (another key, altered, stored unsealed) or stored (no key).
 */
export const receiverErrors = counter(
  'fabricscope_alarm_receiver_errors_total',
  'Alarm receivers that cannot be used as stored (logged): a version that no longer checks, a CA file that cannot be read, a secret that does not open (another --secrets-key, altered) or cannot be stored (no --secrets-key)',
  ['receiver'],
);
