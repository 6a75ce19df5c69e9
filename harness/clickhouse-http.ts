import type { Warehouse } from '../common/warehouse/warehouse.js';
import { freePort } from './kafka.js';
import { startPipelineProcess, type PipelineProcess } from './pipeline-process.js';
import { startClickHouseHttp } from '../query/clickhouse-http/server.js';
import { defaultQueryConfig, type QueryConfig } from '../query/index.js';

/** Where a ClickHouse client reaches the endpoint, and as whom. */
export interface ClickHouseHttpEndpoint {
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

const user = 'grafana';
const password = 'endpoint-test-password';

/**
 * The read-only ClickHouse HTTP endpoint over an embedded warehouse of this process, on a loopback
 * port, with the query service's defaults unless `config` says otherwise.
 */
export async function serveClickHouseHttp(
  warehouse: Warehouse,
  config: Partial<QueryConfig> = {},
): Promise<ClickHouseHttpEndpoint & { close(): Promise<void> }> {
  const endpoint = await startClickHouseHttp(warehouse, 0, {
    ...defaultQueryConfig,
    clickhouseHttpHost: '127.0.0.1',
    clickhouseHttpUser: user,
    clickhouseHttpPassword: password,
    ...config,
  });
  return { ...at(endpoint.port), close: () => endpoint.close() };
}

/**
 * `fabricscope start` (embedded) as a real process with the endpoint on a free loopback port; fill it
 * with the simulator (pipeline.grpcTarget) and read it with any ClickHouse client.
 */
export async function startPipelineWithClickHouseHttp(
  dataDir: string,
  args: string[] = [],
): Promise<{ pipeline: PipelineProcess; endpoint: ClickHouseHttpEndpoint }> {
  const port = await freePort();
  const pipeline = await startPipelineProcess(dataDir, {
    args: [
      ...['--clickhouse-http-port', String(port), '--clickhouse-http-host', '127.0.0.1'],
      ...['--clickhouse-http-user', user, '--clickhouse-http-password', password],
      ...args,
    ],
  });
  return { pipeline, endpoint: at(port) };
}

const at = (port: number): ClickHouseHttpEndpoint => ({
  url: `http://127.0.0.1:${port}`,
  host: '127.0.0.1',
  port,
  user,
  password,
});
