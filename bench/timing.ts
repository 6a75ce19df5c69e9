/** Timing helpers of the benchmarks. */

/** The value at `fraction` (0.5: the median) of values sorted ascending. */
export const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;

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
