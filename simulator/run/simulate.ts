import { validateOptions, type SimulateOptions } from './options.js';
import type { SimulationReport } from './report.js';
import { Run } from './run.js';
import { openStreams } from './streams.js';

/**
 * Runs the simulation until `flows` records are acked (and the state, samples and events asked for
 * are through), `durationMs` passes, or `signal` aborts.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  validateOptions(options);
  const run = new Run(options);
  openStreams(run, options);
  const timers = startTimers(run, options);
  run.streams.forEach((s) => s.session.start());
  run.player?.start();
  try {
    await run.done;
    if (!run.fatal && !options.signal?.aborted) await drain(run, options.drainTimeoutMs ?? 30_000);
  } finally {
    timers.forEach((t) => clearTimeout(t));
    options.signal?.removeEventListener('abort', run.abort);
    await Promise.all(run.streams.map((s) => s.session.close()));
  }
  const report = run.report();
  options.onProgress?.(report);
  if (run.fatal) throw run.fatal;
  return report;
}

/** The run's timers: the abort signal, the duration and the progress cycle (onProgress). */
function startTimers(run: Run, options: SimulateOptions): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  if (options.signal?.aborted) run.finish();
  options.signal?.addEventListener('abort', run.abort, { once: true });
  if (options.durationMs !== undefined) timers.push(setTimeout(() => run.finish(), options.durationMs));
  if (options.onProgress) {
    const progress = options.onProgress;
    timers.push(setInterval(() => progress(run.report()), options.progressIntervalMs ?? 1000));
  }
  return timers;
}

/** After sending stops, wait for the acks of what is in flight, within a bound. */
async function drain(run: Run, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.all(run.streams.map((s) => s.session.whenIdle())), timeout]);
  clearTimeout(timer);
}
