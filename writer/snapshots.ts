import { errorMessage } from '../common/errors.js';
import { logger } from '../common/log.js';
import { counter, gauge } from '../common/metrics.js';
import { snapshotPass } from '../common/schema/snapshots.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';

const log = logger('writer');
const passes = counter(
  'fabricscope_writer_snapshot_passes_total',
  'Snapshot passes (route snapshots, generator states restated, dead UVE state deleted), by outcome',
  ['outcome'],
);
const latestSnapshot = gauge(
  'fabricscope_writer_route_snapshot_timestamp_seconds',
  'Instant of the latest routing table snapshot this writer took',
);

/**
 * Runs the snapshot pass (common/schema/snapshots.ts) when the writer starts and then at every
 * multiple of the interval, one pass at a time. Every writer runs it: a pass is idempotent, so two
 * writers leave what one would. A pass that fails is counted and logged; the next one takes what
 * it missed.
 */
export class SnapshotSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.running = this.pass().finally(() => this.scheduleNext());
  }

  /** Stops the schedule; a pass under way finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const wait = this.intervalMs - (Date.now() % this.intervalMs);
    this.timer = setTimeout(() => this.start(), wait);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      const instants = await snapshotPass(this.warehouse, Date.now() * 1000, this.intervalMs * 1000);
      passes.inc({ outcome: 'done' });
      const latest = instants.at(-1);
      if (latest !== undefined) latestSnapshot.set(latest / 1e6);
      log.info(
        { routeSnapshots: instants.map((us) => new Date(us / 1000).toISOString()) },
        'snapshot pass done',
      );
    } catch (err) {
      passes.inc({ outcome: 'failed' });
      log.error({ err: errorMessage(err) }, 'snapshot pass failed; the next one takes what it missed');
    }
  }
}
