import type { Bus } from '../common/bus/bus.js';
import { openBus } from '../common/bus/open.js';
import type { Config } from '../common/config.js';
import { FabricError } from '../common/errors.js';
import { startHttpServer, type RequestListener } from '../common/http.js';
import { logger } from '../common/log.js';
import { migrate } from '../common/schema/migrate.js';
import { repairDerivedTables } from '../common/schema/repair.js';
import { openWarehouse } from '../common/warehouse/open.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { Ingest } from '../collector/ingest.js';
import { startCollector } from '../collector/server.js';
import { GeneratorEvents } from '../collector/generator-events.js';
import { Sessions } from '../collector/sessions.js';
import { BatchWriter } from '../writer/batch-writer.js';
import { writerRoutes } from '../writer/routes.js';
import { createQueryApi } from '../query/index.js';

const log = logger('fabricscope');

export const services = ['collector', 'writer', 'query'] as const;
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
 * Starts the given services in this process: the collector and the writer share a bus (Kafka when
 * configured, else in-process), the writer and the query API a warehouse (ClickHouse server when
 * configured, else chdb in the data dir). Each process serves /metrics and /healthz.
 */
export async function startServices(config: Config, run: readonly Service[]): Promise<Running> {
  const has = (s: Service): boolean => run.includes(s);
  const closers: (() => Promise<void>)[] = [];
  const bus = has('collector') || has('writer') ? openBusFor(config, run) : undefined;
  const warehouse = has('writer') || has('query') ? await openWarehouse(config) : undefined;
  if (warehouse) await migrate(warehouse);
  const routes: Record<string, RequestListener> = {};
  if (has('writer')) closers.push(await startWriter(config, bus!, warehouse!));
  if (has('query')) routes['/graphql'] = createQueryApi(warehouse!).handler;
  const sessions = has('collector') ? collectorSessions(config, bus!) : undefined;
  const collector = sessions
    ? await startCollector(
        { ...config, host: config.grpcHost, port: config.grpcPort },
        new Ingest(bus!, config),
        sessions,
      )
    : undefined;
  const http = await startHttpServer({
    host: config.httpHost,
    port: config.httpPort,
    routes,
    health: async () => !warehouse || (await warehouse.query('SELECT 1 AS ok')).length === 1,
  });
  log.info({ services: run }, 'started');
  return {
    grpcPort: collector?.port,
    httpPort: http.port,
    close: async () => {
      // Intake first, then the writer drains what it holds, then the stores.
      await collector?.close();
      sessions?.stop();
      await http.close();
      for (const close of closers) await close();
      await bus?.close();
      await warehouse?.close();
      log.info('stopped');
    },
  };
}

function collectorSessions(config: Config, bus: Bus): Sessions {
  const events = new GeneratorEvents(bus);
  return new Sessions({ graceMs: config.generatorGrace, report: (event) => events.publish(event) });
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

/**
 * One writer per topic, so a slow table never holds back another's commits. What a previous writer
 * may have left half-written (a table without its views) is repaired before any new batch.
 */
async function startWriter(config: Config, bus: Bus, warehouse: Warehouse): Promise<() => Promise<void>> {
  await repairDerivedTables(warehouse);
  const options = {
    maxBytes: config.writerMaxBytes,
    lingerMs: config.writerLingerMs,
    dedupWindowHours: config.dedupWindowHours,
  };
  const writers = writerRoutes.map((route) => new BatchWriter(warehouse, route, options));
  for (const writer of writers) await writer.start(bus);
  return async () => {
    for (const writer of writers) await writer.stop();
  };
}
