import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger = pino({ level: process.env.FABRICSCOPE_LOG_LEVEL ?? 'info', base: undefined });

/** Re-creates the root logger once the config is known (level, destination). */
export function configureLogging(level: string): void {
  root = pino({ level, base: undefined });
}

/** A JSON-lines logger for one component; add `generator` with `.child({ generator })`. */
export function logger(component: string): Logger {
  return root.child({ component });
}
