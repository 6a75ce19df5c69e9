import { parseDuration } from '../common/duration.js';
import { invalid } from '../common/errors.js';
import { simulate } from '../simulator/index.js';
import { formatSummary, progressPrinter } from '../simulator/progress.js';

export interface SimulateFlags {
  target: string;
  vrouters: string;
  flows?: string;
  duration?: string;
  rate: string;
  batchSize: string;
  token?: string;
}

function count(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw invalid(`--${flag}: "${text}" is not a whole number`);
  return n;
}

/** `fabricscope simulate`: stream simulated vRouter flows, print progress, then the acked totals. */
export async function runSimulate(flags: SimulateFlags): Promise<void> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const report = await simulate({
    target: flags.target,
    vrouters: count(flags.vrouters, 'vrouters'),
    flows: flags.flows === undefined ? undefined : count(flags.flows, 'flows'),
    durationMs: flags.duration === undefined ? undefined : parseDuration(flags.duration, '--duration'),
    rate: count(flags.rate, 'rate'),
    batchSize: count(flags.batchSize, 'batch-size'),
    token: flags.token,
    onProgress: progressPrinter(),
    signal: controller.signal,
  });
  console.log(formatSummary(report));
}
