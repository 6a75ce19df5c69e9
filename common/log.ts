import { pino, type Logger } from 'pino';

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
