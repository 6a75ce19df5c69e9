import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import type { SecretBox } from '../common/notify/secret-box.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { BUILTIN_RULES, builtinDescription } from '../common/model/alarm-rules/builtin/index.js';
import { alarmsOptions } from './config.js';
import { AlarmEngine } from './engine.js';
import { warehouseRestore } from './restore.js';
import { StoredRules } from './rule-set.js';
import { AlarmService } from './service.js';
import { AlarmStore } from './store.js';
import { loadThresholdRules } from './threshold-files.js';
import { Thresholds } from './thresholds.js';
import { Notifier } from './notify/index.js';

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
 * Follows the bus in the engine's consumer groups, with the rules in force (built-ins and those
 * written at run time); the UVEs of the partitions the group gives this instance are restored from
 * what the warehouse holds — the alarms' statuses, the UVE state — once the writer has stored what
 * they may have been evaluated over, and evaluated once (what happened while no instance owned
 * them). Commands (acks, rule changes) come on the same topic; threshold rules run on an interval.
 * `secrets` seals and opens webhook receivers' secrets (common/notify/secrets-key.ts).
 */
export async function start(
  config: AlarmsConfig,
  deps: { bus: Bus; warehouse: Warehouse; secrets?: SecretBox },
): Promise<{ close(): Promise<void> }> {
  const notifier = await Notifier.start(config, deps.warehouse, builtinDescription, deps.secrets);
  const store = new AlarmStore(deps.warehouse, notifier);
  await store.open();
  const rules = new StoredRules(deps.warehouse);
  const builtins = new Set(BUILTIN_RULES.map((rule) => rule.fqName));
  const thresholdRules = await loadThresholdRules(config.alarmsThresholdRules, builtins);
  const engine = new AlarmEngine(
    await rules.load(),
    thresholdRules.map((threshold) => threshold.rule),
  );
  const service = new AlarmService(
    engine,
    store,
    warehouseRestore(deps.bus, deps.warehouse, store),
    { maxBytes: config.alarmsMaxBytes, lingerMs: config.alarmsLingerMs },
    rules,
    notifier,
  );
  await service.start(deps.bus);
  // Every instance computes each threshold rule; the service settles the groups whose UVE it owns.
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
