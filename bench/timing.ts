/** What the benchmarks share to time their runs and print the figures. */
import { cpus, loadavg } from 'node:os';

/** The value at `fraction` (0.5: the median) of values sorted ascending. */
export const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;

/** The median of values in any order (they are sorted in place). */
export function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return percentile(values, 0.5);
}

/** "p50/p95" of ms sorted ascending, as a cell of the benchmarks' tables. */
export const p50p95 = (sorted: readonly number[]): string =>
  `${percentile(sorted, 0.5).toFixed(1).padStart(8)}/${percentile(sorted, 0.95).toFixed(1).padEnd(8)}`;

/** The load averages over 1, 5 and 15 minutes: what else the shared machine was doing. */
export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The machine the figures were measured on, and its load at the start. */
export const machine = (): string =>
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadAverage()}`;

/**
 * Each way's milliseconds over `runs`, sorted, after one warm-up each. The ways take turns within
 * each run (in rotating order), so that a load change on the shared machine slows all of them alike.
 */
export async function turns(runs: number, ways: readonly (() => Promise<unknown>)[]): Promise<number[][]> {
  for (const way of ways) await way();
  const ms: number[][] = ways.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < ways.length; j++) {
      const k = (i + j) % ways.length;
      const started = performance.now();
      await ways[k]!();
      ms[k]!.push(performance.now() - started);
    }
  }
  return ms.map((times) => times.sort((a, b) => a - b));
}
