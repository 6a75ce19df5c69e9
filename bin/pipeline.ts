import { MemoryBus } from '../common/bus/memory.js';
import type { Config } from '../common/config.js';
import { startHttpServer } from '../common/http.js';
import { logger } from '../common/log.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import { Ingest } from '../collector/ingest.js';
import { startCollector } from '../collector/server.js';
import { Sessions } from '../collector/sessions.js';
import { FlowWriter } from '../collector/writer.js';
import { createQueryApi } from '../query/index.js';

const log = logger('fabricscope');

export interface Pipeline {
  grpcPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/** Everything in one process (the embedded default): in-process bus and chdb under the data dir. */
export async function startEmbedded(config: Config): Promise<Pipeline> {
  const warehouse = new ChdbWarehouse(config.dataDir);
  await migrate(warehouse);
  const bus = new MemoryBus(config.busMaxBytes);
  const writer = new FlowWriter(warehouse, {
    maxBytes: config.writerMaxBytes,
    lingerMs: config.writerLingerMs,
    dedupWindowHours: config.dedupWindowHours,
  });
  await writer.start(bus);
  const ingest = new Ingest(bus, config);
  const collector = await startCollector(
    { ...config, host: config.grpcHost, port: config.grpcPort },
    ingest,
    new Sessions(),
  );
  const api = createQueryApi(warehouse);
  const http = await startHttpServer({
    host: config.httpHost,
    port: config.httpPort,
    routes: { '/graphql': api.handler },
    health: async () => (await warehouse.query('SELECT 1 AS ok')).length === 1,
  });
  return {
    grpcPort: collector.port,
    httpPort: http.port,
    close: async () => {
      // Stop intake first, let the writer drain what was accepted, then the warehouse.
      await collector.close();
      await http.close();
      await writer.stop();
      await bus.close();
      await warehouse.close();
      log.info('stopped');
    },
  };
}
