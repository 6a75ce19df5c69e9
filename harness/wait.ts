import { setTimeout as sleep } from 'node:timers/promises';
import { registry } from '../common/metrics.js';

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const drained = (metrics: string): boolean => /^fabricscope_bus_buffered_bytes 0$/m.test(metrics);

/**
 * Until the bus of this process holds nothing a consumer has not committed. An embedded ack means
 * durable in the bus log; the writer stores the batch a moment later, and this waits for that moment.
 */
export const busDrained = (): Promise<void> =>
  until('the bus to drain', async () => drained(await registry.metrics()));

/** The same for a pipeline process, read from its /metrics: everything acked is then stored. */
export const pipelineDrained = (pipeline: { httpUrl: string }): Promise<void> =>
  until('the pipeline bus to drain', async () =>
    drained(await (await fetch(`${pipeline.httpUrl}/metrics`)).text()),
  );
