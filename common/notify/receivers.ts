import { z } from 'zod';
import { errorMessage, invalid } from '../errors.js';
import { parseDuration } from '../duration.js';

/**
 * A webhook receiver of alarm notifications: one schema for `--alarm-webhooks` (alarms/notify/config.ts)
 * and for the receivers written at run time through the API (checked there and again by the engine,
 * and read back from alarm_receivers with it). Each filter, when given, must hold for an alarm to be
 * sent: any of its values matches. No issue message holds the value at fault: the secret is among them.
 */
export const receiverSchema = z
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
      .transform((text, ctx) => {
        try {
          return parseDuration(text, 'timeout');
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not a duration like 500ms, 10s or 1m' });
          return z.NEVER;
        }
      }),
    /** PEM file of the CA that signed an https receiver's certificate, beside the system's. */
    ca: z.string().optional(),
  })
  .strict();

export type WebhookReceiver = z.output<typeof receiverSchema>;

/** What a receiver is, its name and secret aside: stored as JSON (alarm_receivers.receiver) and shown. */
export type ReceiverDefinition = Omit<z.input<typeof receiverSchema>, 'name' | 'secret'>;

/** Each issue as `<where>: <why>` (`0.url: Invalid URL`), every one of them; never the value. */
export const issuesOf = (error: z.ZodError): string =>
  error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');

/**
 * JSON.parse whose error never quotes the text: V8's may quote a stretch of it ("…"secret":"…"… is not
 * valid JSON"), and receivers' JSON holds secrets. Throws INVALID_ARGUMENT with the position only.
 */
export function parseQuietly(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const at = /position \d+/.exec(errorMessage(err))?.[0];
    throw invalid(`${what} is not valid JSON${at ? ` (at ${at})` : ''}`);
  }
}

/** A receiver checked, or INVALID_ARGUMENT naming every field at fault (not its value). */
export function checkedReceiver(value: unknown): WebhookReceiver {
  const parsed = receiverSchema.safeParse(value);
  if (!parsed.success) throw invalid(`alarm receiver refused: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

const UNITS: [string, number][] = [
  ['h', 3600e3],
  ['m', 60e3],
  ['s', 1e3],
];

/** A timeout as written back: the largest unit it is a whole number of (90000 → 90s, 250 → 250ms). */
const durationText = (ms: number): string => {
  const [unit, size] = UNITS.find(([, size]) => ms % size === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
};

/** A checked receiver's definition, defaults written out: what is stored, and parses back to it. */
export function definitionOf(receiver: Omit<WebhookReceiver, 'secret'>): ReceiverDefinition {
  const { url, severities, types, uveTypes, names, concurrency, timeout, ca } = receiver;
  const fields = { url, severities, types, uveTypes, names, concurrency, timeout: durationText(timeout), ca };
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as ReceiverDefinition;
}
