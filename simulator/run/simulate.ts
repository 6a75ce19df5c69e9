import { DEFAULT_CONNECT_TIMEOUT_MS, validateOptions, type SimulateOptions } from './options.js';
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

/**
 * The run's timers: the abort signal, the duration, the progress cycle (onProgress), and the check
 * that the collector answered at all (a target nobody answers at would otherwise be retried forever).
 */
function startTimers(run: Run, options: SimulateOptions): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  if (options.signal?.aborted) run.finish();
  options.signal?.addEventListener('abort', run.abort, { once: true });
  if (options.durationMs !== undefined) timers.push(setTimeout(() => run.finish(), options.durationMs));
  const connectMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  timers.push(setTimeout(() => checkReached(run, options.target, connectMs), connectMs));
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

/** Fails the run when no stream was welcomed in time: the target is wrong, down or not a collector. */
function checkReached(run: Run, target: string, waitedMs: number): void {
  if (run.stopped || run.streams.length === 0 || run.streams.some((s) => s.session.welcomed)) return;
  const reason = run.streams.map((s) => s.session.lastError).find((e) => e !== undefined);
  run.finish(
    new Error(
      `no collector answered at ${target} within ${waitedMs / 1000} s` + (reason ? `: ${reason}` : ''),
    ),
  );
}
