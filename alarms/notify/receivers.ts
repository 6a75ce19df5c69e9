import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../../common/duration.js';
import { severityName } from '../metrics.js';

/**
 * Webhook receivers as configured: `--alarm-webhooks` holds their JSON array, or the path of a file
 * holding it (so that secrets stay out of the process's arguments). Each filter, when given, must
 * hold for an alarm to be sent: any of its values matches.
 */
const receiverSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/, 'a name of letters, digits, _ . -'),
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16, 'at least 16 characters'),
    severities: z.array(z.enum(['critical', 'major', 'minor'])).optional(),
    /** Alarm types: the rule's fq name or its last element, globs allowed. */
    types: z.array(z.string().min(1)).optional(),
    uveTypes: z.array(z.string().min(1)).optional(),
    /** UVE names, globs allowed (`*`, `?`). */
    names: z.array(z.string().min(1)).optional(),
    /** Deliveries in flight to this receiver at most; the others wait in its queue. */
    concurrency: z.number().int().positive().default(4),
    /** One attempt's limit: a receiver that hangs is given up on and tried again later. */
    timeout: z
      .string()
      .default('10s')
      .transform((text) => parseDuration(text, 'timeout')),
    /** PEM file of the CA that signed an https receiver's certificate, beside the system's. */
    ca: z.string().optional(),
  })
  .strict();

export type WebhookReceiver = z.output<typeof receiverSchema>;

const receiverList = z.array(receiverSchema).superRefine((receivers, ctx) => {
  const names = receivers.map((r) => r.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) ctx.addIssue({ code: 'custom', message: `receiver name ${twice} is used twice` });
});

/** The option's schema: a JSON array, or a file path; errors name the receiver and field, never a secret. */
export const webhookReceivers = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return [];
  try {
    return JSON.parse(text.startsWith('[') ? text : readFileSync(text, 'utf8')) as unknown;
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
