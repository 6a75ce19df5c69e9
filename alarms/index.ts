import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { BUILTIN_RULES } from '../common/model/alarm-rules/builtin/index.js';
import { alarmsOptions } from './config.js';
import { AlarmEngine } from './engine.js';
import { StoredRules } from './rule-set.js';
import { AlarmService } from './service.js';
import { AlarmStore } from './store.js';
import { loadThresholdRules } from './threshold-files.js';
import { Thresholds } from './thresholds.js';
import { Notifier } from './notify/index.js';
import { loadUveState } from './uve-load.js';

/**
 * The alarm engine: Tungsten Fabric's rules over the UVEs on the bus, and threshold rules over stored
 * flows, interface stats and routes on an interval, each transition stored.
 */
export { alarmsOptions as options };
export {
  startWebhookReceiver,
  verifySignature,
  type AlarmEvent,
  type ReceivedNotification,
} from './notify/index.js';
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
  const notifier = await Notifier.start(
    config,
    deps.warehouse,
    (type) => BUILTIN_RULES.find((rule) => rule.fqName === type)?.description ?? '',
  );
  const store = new AlarmStore(deps.warehouse, notifier);
  await store.open();
  const rules = new StoredRules(deps.warehouse);
  const builtins = new Set(BUILTIN_RULES.map((rule) => rule.fqName));
  const thresholdRules = await loadThresholdRules(config.alarmsThresholdRules, builtins);
  const engine = new AlarmEngine(
    await rules.load(),
    thresholdRules.map((threshold) => threshold.rule),
  );
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
  const thresholds = new Thresholds(thresholdRules, deps.warehouse, engine, (step) => service.submit(step));
  thresholds.start();
  return {
    close: async () => {
      await thresholds.stop();
      await service.stop();
      await notifier.close();
    },
  };
}
