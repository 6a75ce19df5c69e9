import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import { BUILTIN_RULES } from '../common/model/alarm-rules/builtin/index.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { alarmsOptions } from './config.js';
import { AlarmEngine } from './engine.js';
import { warehouseRestore } from './restore.js';
import { AlarmService } from './service.js';
import { AlarmStore } from './store.js';

/** The alarm engine: Tungsten Fabric's rules over the UVEs on the bus, each transition stored. */
export { alarmsOptions as options };
export type AlarmsConfig = ConfigOf<typeof alarmsOptions>;

/**
 * Follows the bus in the engine's consumer groups; the UVEs of the partitions the group gives this
 * instance are restored from what the warehouse holds — the alarms' statuses, the UVE state — once
 * the writer has stored what they may have been evaluated over, and evaluated once (what happened
 * while no instance owned them).
 */
export async function start(
  config: AlarmsConfig,
  deps: { bus: Bus; warehouse: Warehouse },
): Promise<{ close(): Promise<void> }> {
  const store = new AlarmStore(deps.warehouse);
  await store.open();
  const engine = new AlarmEngine(BUILTIN_RULES);
  const service = new AlarmService(engine, store, warehouseRestore(deps.bus, deps.warehouse, store), {
    maxBytes: config.alarmsMaxBytes,
    lingerMs: config.alarmsLingerMs,
  });
  await service.start(deps.bus);
  return { close: () => service.stop() };
}
