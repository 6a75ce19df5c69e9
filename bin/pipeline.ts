import type { Bus } from '../common/bus/bus.js';
import { openBus } from '../common/bus/open.js';
import { FabricError } from '../common/errors.js';
import { startHttpServer, type RequestListener, type UpgradeListener } from '../common/http.js';
import { logger } from '../common/log.js';
import { secretBoxFor } from '../common/notify/secrets-key.js';
import { migrate } from '../common/schema/migrate.js';
import { openWarehouse } from '../common/warehouse/open.js';
import * as alarms from '../alarms/index.js';
import * as collector from '../collector/index.js';
import * as query from '../query/index.js';
import * as writer from '../writer/index.js';
import type { Config } from './config.js';

const log = logger('fabricscope');

export const services = ['collector', 'writer', 'query', 'alarms'] as const;
export type Service = (typeof services)[number];

export interface Running {
  grpcPort: number | undefined;
  httpPort: number;
  close(): Promise<void>;
}

/** Checks a service list and expands `all`; names the one it does not know. */
export function parseServices(names: readonly string[]): Service[] {
  if (names.length === 0 || names.includes('all')) return [...services];
  for (const name of names) {
    if (!(services as readonly string[]).includes(name)) {
      throw new FabricError('CONFIG', `unknown service "${name}"; choose from all, ${services.join(', ')}`);
    }
  }
  return [...new Set(names as Service[])];
}

/**
 * Starts the given services in this process, each through its index.ts: the collector, the writer
 * and the alarm engine share a bus (Kafka when configured, else in-process), the writer, the query
 * API and the alarm engine a warehouse (ClickHouse server when configured, else chdb in the data
 * dir). The process serves /metrics and /healthz, and the routes its services add. The collector
 * starts last, once every consumer of the in-process bus is subscribed.
 */
export async function startServices(config: Config, run: readonly Service[]): Promise<Running> {
  const has = (s: Service): boolean => run.includes(s);
  // The query API sends acknowledgements to the alarm engine: over Kafka, or in-process beside it.
  const reachesAlarms = has('query') && (config.kafkaBrokers.length > 0 || has('alarms'));
  // Its live streams follow the bus: Kafka, or the collector's log in this process.
  const follows = has('query') && (config.kafkaBrokers.length > 0 || has('collector'));
  const bus =
    has('collector') || has('writer') || has('alarms') || reachesAlarms ? openBusFor(config, run) : undefined;
  const warehouse = has('writer') || has('query') || has('alarms') ? await openWarehouse(config) : undefined;
  if (warehouse) await migrate(warehouse);
  const secrets = has('query') || has('alarms') ? secretBoxFor(config) : undefined;
  const routes: Record<string, RequestListener> = {};
  const upgrades: Record<string, UpgradeListener> = {};
  const writing = has('writer')
    ? await writer.start(config, { bus: bus!, warehouse: warehouse! })
    : undefined;
  const alarming = has('alarms')
    ? await alarms.start(config, { bus: bus!, warehouse: warehouse!, secrets })
    : undefined;
  const querying = has('query')
    ? await query.start(config, {
        warehouse: warehouse!,
        routes,
        upgrades,
        bus: reachesAlarms ? bus : undefined,
        secrets,
        feed: follows ? bus : undefined,
      })
    : undefined;
  const collecting = has('collector') ? await collector.start(config, { bus: bus! }) : undefined;
  const http = await startHttpServer({
    host: config.httpHost,
    port: config.httpPort,
    routes,
    upgrades,
    health: async () => !warehouse || (await warehouse.query('SELECT 1 AS ok')).length === 1,
  });
  log.info({ services: run }, 'started');
  return {
    grpcPort: collecting?.port,
    httpPort: http.port,
    close: async () => {
      // Intake first, then the writer drains what it holds, then the stores.
      await collecting?.close();
      // Before the HTTP server: its subscriptions end, so their connections do not hold it open.
      await querying?.close();
      await http.close();
      await alarming?.close();
      await writing?.close();
      await bus?.close();
      await warehouse?.close();
      log.info('stopped');
    },
  };
}

function openBusFor(config: Config, run: readonly Service[]): Bus {
  if (config.kafkaBrokers.length === 0 && !(run.includes('collector') && run.includes('writer'))) {
    throw new FabricError(
      'CONFIG',
      `${run.join(' and ')} without the other side of the bus needs Kafka: set --kafka-brokers or KAFKA_BROKERS`,
    );
  }
  return openBus(config, `fabricscope-${run.join('-')}`);
}
