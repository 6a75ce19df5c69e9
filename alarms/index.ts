import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { alarmsOptions } from './config.js';
import { AlarmEngine } from './engine.js';
import { StoredRules } from './rule-set.js';
import { AlarmService } from './service.js';
import { AlarmStore } from './store.js';
import { loadUveState } from './uve-load.js';

/** The alarm engine: Tungsten Fabric's rules over the UVEs on the bus, each transition stored. */
export { alarmsOptions as options };
export type AlarmsConfig = ConfigOf<typeof alarmsOptions>;

/**
 * Starts from what the warehouse holds — the rules in force (built-ins and those written at run
 * time), the alarms' statuses, the UVE state — evaluates every UVE once over it (what happened
 * while the engine was down), then follows the UVE and generator topics and the commands (acks,
 * rule changes) from its consumer groups' offsets.
 */
export async function start(
  config: AlarmsConfig,
  deps: { bus: Bus; warehouse: Warehouse },
): Promise<{ close(): Promise<void> }> {
  const store = new AlarmStore(deps.warehouse);
  await store.open();
  const rules = new StoredRules(deps.warehouse);
  const engine = new AlarmEngine(await rules.load());
  engine.restore(await store.held());
  const { state, keys } = await loadUveState(deps.warehouse);
  const service = new AlarmService(
    engine,
    state,
    store,
    {
      maxBytes: config.alarmsMaxBytes,
      lingerMs: config.alarmsLingerMs,
    },
    rules,
  );
  await service.start(deps.bus, new Set([...keys, ...engine.heldUves()]));
  return { close: () => service.stop() };
}
