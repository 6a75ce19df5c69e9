import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import { repairDerivedTables } from '../common/schema/repair.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { BatchWriter } from './batch-writer.js';
import { FabricMetrics } from './fabric-metrics/index.js';
import { writerOptions } from './config.js';
import { writerRoutes } from './routes.js';
import { SnapshotSchedule } from './snapshots.js';

/** The writer service: every bus topic into its warehouse table, each batch stored once; state snapshots. */
export { writerOptions as options };
export type WriterConfig = ConfigOf<typeof writerOptions>;

/**
 * One writer per topic, so a slow table never holds back another's commits. What a previous writer
 * may have left half-written (a table without its views) is repaired before any new batch. The
 * snapshot pass keeps state answerable past the TTLs (common/schema/snapshots.ts).
 */
export async function start(
  config: WriterConfig,
  deps: { bus: Bus; warehouse: Warehouse },
): Promise<{ close(): Promise<void> }> {
  await repairDerivedTables(deps.warehouse);
  const fabric = new FabricMetrics(config);
  const options = {
    maxBytes: config.writerMaxBytes,
    lingerMs: config.writerLingerMs,
    dedupWindowHours: config.dedupWindowHours,
    onStored: fabric.observe.bind(fabric),
  };
  const writers = writerRoutes.map((route) => new BatchWriter(deps.warehouse, route, options));
  try {
    for (const writer of writers) await writer.start(deps.bus);
  } catch (err) {
    for (const writer of writers) await writer.stop();
    fabric.close();
    throw err;
  }
  const snapshots = new SnapshotSchedule(deps.warehouse, config.snapshotInterval);
  snapshots.start();
  return {
    close: async () => {
      await snapshots.stop();
      for (const writer of writers) await writer.stop();
      fabric.close();
    },
  };
}
