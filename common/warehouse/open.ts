import type { Config } from '../config.js';
import { ChdbWarehouse } from './chdb.js';
import type { Warehouse } from './warehouse.js';

/** A ClickHouse server when a URL is configured, else the embedded engine in the data directory. */
export async function openWarehouse(config: Config): Promise<Warehouse> {
  return new ChdbWarehouse(config.dataDir);
}
