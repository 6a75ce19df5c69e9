import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import { BUILTIN_RULES } from '../common/model/alarm-rules/builtin/index.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { alarmsOptions } from './config.js';
import { AlarmEngine } from './engine.js';
import { AlarmService } from './service.js';
import { AlarmStore } from './store.js';
import { loadUveState } from './uve-load.js';
import { Notifier } from './notify/index.js';

/** The alarm engine: Tungsten Fabric's rules over the UVEs on the bus, each transition stored. */
export { alarmsOptions as options };
export {
  startWebhookReceiver,
  verifySignature,
  type AlarmEvent,
  type ReceivedNotification,
} from './notify/index.js';
export type AlarmsConfig = ConfigOf<typeof alarmsOptions>;

/**
 * Starts from what the warehouse holds — the alarms' statuses, the UVE state — evaluates every UVE
 * once over it (what happened while the engine was down), then follows the UVE and generator topics
 * from its consumer groups' offsets.
 */
export async function start(
  config: AlarmsConfig,
  deps: { bus: Bus; warehouse: Warehouse },
): Promise<{ close(): Promise<void> }> {
  const notifier = await Notifier.start(
    config,
    deps.warehouse,
    (type) => BUILTIN_RULES.find((rule) => rule.fqName === type)?.description ?? '',
  );
  const store = new AlarmStore(deps.warehouse, notifier);
  await store.open();
  const engine = new AlarmEngine(BUILTIN_RULES);
  engine.restore(await store.held());
  const { state, keys } = await loadUveState(deps.warehouse);
  const service = new AlarmService(engine, state, store, {
    maxBytes: config.alarmsMaxBytes,
    lingerMs: config.alarmsLingerMs,
  });
  await service.start(deps.bus, new Set([...keys, ...engine.heldUves()]));
  return {
    close: async () => {
      await service.stop();
      await notifier.close();
    },
  };
}
