import { parseDuration } from '../common/duration.js';
import { errorMessage, invalid } from '../common/errors.js';
import { formatSummary, parseEvents, progressPrinter, simulate, type EventSpec } from '../simulator/index.js';

export interface SimulateFlags {
  target: string;
  vrouters: string;
  flows?: string;
  duration?: string;
  rate: string;
  batchSize: string;
  token?: string;
  seed: string;
  firstVrouter: string;
  /** false with --no-state */
  state: boolean;
  ifstats?: string;
  ifstatsInterval?: string;
  events?: string;
  eventDuration?: string;
}

function count(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw invalid(`--${flag}: "${text}" is not a whole number`);
  return n;
}

const duration = (text: string | undefined, flag: string): number | undefined =>
  text === undefined ? undefined : parseDuration(text, `--${flag}`);

function parsedEvents(text: string): EventSpec[] {
  try {
    return parseEvents(text);
  } catch (err) {
    throw invalid(`--events: ${errorMessage(err)}`);
  }
}

function events(flags: SimulateFlags): EventSpec[] | undefined {
  if (flags.events === undefined) return undefined;
  const specs = parsedEvents(flags.events);
  const durationMs = duration(flags.eventDuration, 'event-duration');
  return specs.map((spec) => ({ ...spec, ...(durationMs !== undefined ? { durationMs } : {}) }));
}

/**
 * `fabricscope simulate`: publish a simulated fabric's state, stream its vRouter flows (and interface
 * stats and events when asked), print progress, then the acked totals.
 */
export async function runSimulate(flags: SimulateFlags): Promise<void> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const report = await simulate({
    target: flags.target,
    vrouters: count(flags.vrouters, 'vrouters'),
    flows: flags.flows === undefined ? undefined : count(flags.flows, 'flows'),
    durationMs: duration(flags.duration, 'duration'),
    rate: count(flags.rate, 'rate'),
    batchSize: count(flags.batchSize, 'batch-size'),
    token: flags.token,
    seed: count(flags.seed, 'seed'),
    firstVrouter: count(flags.firstVrouter, 'first-vrouter'),
    state: flags.state,
    interfaceStatsSamples: flags.ifstats === undefined ? undefined : count(flags.ifstats, 'ifstats'),
    interfaceStatsIntervalMs: duration(flags.ifstatsInterval, 'ifstats-interval'),
    events: events(flags),
    onProgress: progressPrinter(),
    signal: controller.signal,
  });
  console.log(formatSummary(report));
}
