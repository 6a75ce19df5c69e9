import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * VMI UVEs and generator withdrawals change who an address belongs to. The writer reloads the
 * workload_by_ip dictionary (migrations.ts) after storing them and before it commits the delivery,
 * so flows acked after this state are enriched with it (embedded mode acks on commit).
 */
export const reloadWorkloadIdentity = (warehouse: Warehouse): Promise<void> =>
  warehouse.exec('SYSTEM RELOAD DICTIONARY workload_by_ip');
