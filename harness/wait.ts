import { setTimeout as sleep } from 'node:timers/promises';
import { registry } from '../common/metrics.js';

/**
 * Reads until `done` holds of what `read` returns, and returns that; fails naming `what` and the
 * last value read after `timeoutMs`.
 */
export async function readUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last read ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  await readUntil(what, async () => check(), Boolean, timeoutMs);
}

const drained = (metrics: string): boolean => /^fabricscope_bus_buffered_bytes 0$/m.test(metrics);

/**
 * Until the bus of this process holds nothing a consumer has not committed. An embedded ack means
 * durable in the bus log; the writer stores the batch a moment later, and this waits for that moment.
 */
export const busDrained = (): Promise<void> =>
  until('the bus to drain', async () => drained(await registry.metrics()));

/** The same for a pipeline process, read from its /metrics: everything acked is then stored. */
export const pipelineDrained = (pipeline: { httpUrl: string }, timeoutMs?: number): Promise<void> =>
  until(
    'the pipeline bus to drain',
    async () => drained(await (await fetch(`${pipeline.httpUrl}/metrics`)).text()),
    timeoutMs,
  );
