import { pino, type Logger } from 'pino';
import { counter } from './metrics.js';

export type { Logger };

const root: Logger = pino({ level: process.env.FABRICSCOPE_LOG_LEVEL ?? 'info', base: undefined });
const components: Logger[] = [];

/** Applies the configured level to every component's logger, including those made at import time. */
export function configureLogging(level: string): void {
  root.level = level;
  for (const log of components) log.level = level;
}

/** A JSON-lines logger for one component; add `generator` with `.child({ generator })`. */
export function logger(component: string): Logger {
  const log = root.child({ component });
  components.push(log);
  return log;
}

const suppressedLines = counter(
  'fabricscope_log_lines_suppressed_total',
  'Log lines not written because their key passed its rate limit, by component and message',
  ['component', 'message'],
);

/** How much one key may log (rateLimited). */
export interface LineLimits {
  /** Lines of one key and message written per interval; the rest are counted and summarized at its end. */
  perInterval: number;
  intervalMs: number;
  /**
   * Keys tracked in one interval; lines of further keys share one overflow key, so a flood of ever
   * new keys (generator names) is bounded too, in lines and in memory.
   */
  maxKeys: number;
}

const defaultLineLimits: LineLimits = { perInterval: 5, intervalMs: 60_000, maxKeys: 100 };

type Level = 'info' | 'warn' | 'error';
type LimitedLine = (key: string, fields: object, message: string) => void;

/** A logger whose lines are limited per key (e.g. refusal reason and generator) and message. */
export type LimitedLogger = Record<Level, LimitedLine>;

interface KeyWindow {
  key: string;
  level: Level;
  message: string;
  written: number;
  suppressed: number;
}

/** Lines past the limits are dropped and counted; each key's count is logged once the interval ends. */
class LineLimiter {
  private window = new Map<string, KeyWindow>();
  private timer: NodeJS.Timeout | undefined;
  private readonly component: string;

  constructor(
    private readonly log: Logger,
    private readonly limits: LineLimits,
  ) {
    this.component = String((log.bindings() as { component?: unknown }).component ?? '');
  }

  write(level: Level, key: string, fields: object, message: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    const entry = this.entry(level, key, message);
    this.timer ??= setTimeout(() => this.endInterval(), this.limits.intervalMs).unref();
    if (entry.written < this.limits.perInterval) {
      entry.written++;
      this.log[level](fields, message);
      return;
    }
    entry.suppressed++;
    suppressedLines.inc({ component: this.component, message });
  }

  private entry(level: Level, key: string, message: string): KeyWindow {
    // Prefixed, so no key can be taken for the overflow of its message.
    const id = `k${message}\n${key}`;
    const found = this.window.get(id);
    if (found) return found;
    const fresh = { level, message, written: 0, suppressed: 0 };
    if (this.window.size < this.limits.maxKeys) {
      const entry = { key, ...fresh };
      this.window.set(id, entry);
      return entry;
    }
    const overflow = `o${message}`;
    const entry = this.window.get(overflow) ?? { key: '(other keys)', ...fresh };
    this.window.set(overflow, entry);
    return entry;
  }

  private endInterval(): void {
    this.timer = undefined;
    for (const { key, level, message, suppressed } of this.window.values()) {
      if (suppressed === 0) continue;
      this.log[level](
        { key, suppressed, intervalMs: this.limits.intervalMs },
        `suppressed ${suppressed} similar lines: ${message}`,
      );
    }
    this.window = new Map();
  }
}

/**
 * Rate-limits the lines a request can cause (refusals, connects), so a storm of bad requests cannot
 * flood the log or the disk: per key and message, the first `perInterval` lines of an interval are
 * written, the rest counted in fabricscope_log_lines_suppressed_total and summarized in one line per
 * key when the interval ends.
 */
export function rateLimited(log: Logger, limits: Partial<LineLimits> = {}): LimitedLogger {
  const limiter = new LineLimiter(log, { ...defaultLineLimits, ...limits });
  return {
    info: (key, fields, message) => limiter.write('info', key, fields, message),
    warn: (key, fields, message) => limiter.write('warn', key, fields, message),
    error: (key, fields, message) => limiter.write('error', key, fields, message),
  };
}
