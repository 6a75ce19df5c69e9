import type { SharedConfig } from '../config.js';
import { ChdbWarehouse } from './chdb.js';
import { ClickHouseWarehouse } from './clickhouse.js';
import type { Warehouse } from './warehouse.js';

/** A ClickHouse server when a URL is configured, else the embedded engine in the data directory. */
export async function openWarehouse(config: SharedConfig): Promise<Warehouse> {
  if (config.clickhouseUrl) {
    return new ClickHouseWarehouse({ url: config.clickhouseUrl });
  }
  return new ChdbWarehouse(config.dataDir);
}
