import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseQuietly, receiverSchema, type WebhookReceiver } from '../../common/notify/receivers.js';
import { severityName } from '../metrics.js';

export type { WebhookReceiver } from '../../common/notify/receivers.js';

const receiverList = z.array(receiverSchema).superRefine((receivers, ctx) => {
  const names = receivers.map((r) => r.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) ctx.addIssue({ code: 'custom', message: `receiver name ${twice} is used twice` });
});

/**
 * `--alarm-webhooks`: a JSON array of receivers (common/notify/receivers.ts, the schema the API's
 * receivers are checked with too), or the path of a file holding it (so that secrets stay out of the
 * process's arguments); errors name the receiver and field, never a secret.
 */
export const webhookReceivers = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  try {
    return parseQuietly(text.startsWith('[') ? text : readFileSync(text, 'utf8'), 'its text');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a JSON array of receivers: ${(err as Error).message}` });
    return z.NEVER;
  }
}, receiverList);

/** What a filter is matched against. */
export interface AlarmIdentity {
  alarmType: string;
  severity: number;
  uveType: string;
  uveName: string;
}

const globRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

const anyGlob = (globs: readonly string[] | undefined, ...values: string[]): boolean =>
  !globs || globs.some((glob) => values.some((value) => globRegExp(glob).test(value)));

export function receives(receiver: WebhookReceiver, alarm: AlarmIdentity): boolean {
  const shortType = alarm.alarmType.split(':').at(-1) ?? alarm.alarmType;
  return (
    (!receiver.severities || receiver.severities.some((s) => s === severityName(alarm.severity))) &&
    anyGlob(receiver.types, alarm.alarmType, shortType) &&
    (!receiver.uveTypes || receiver.uveTypes.includes(alarm.uveType)) &&
    anyGlob(receiver.names, alarm.uveName)
  );
}
