import type { Warehouse } from '../warehouse/warehouse.js';
import { WORKLOAD_STRUCT } from './views.js';

/**
 * VMI UVEs and generator withdrawals change who an address belongs to. The writer reloads the
 * workload_by_ip dictionary (migrations.ts) after storing them and before it commits the delivery,
 * so flows acked after this state are enriched with it (embedded mode acks on commit).
 */
export const reloadWorkloadIdentity = (warehouse: Warehouse): Promise<void> =>
  warehouse.exec('SYSTEM RELOAD DICTIONARY workload_by_ip');

const workloadStruct = Buffer.from(WORKLOAD_STRUCT);

/**
 * Whether stored UVE batches may have changed a workload's identity: only the struct the workloads
 * view reads does, and a batch holds its records' struct names as they are (protobuf strings), so
 * one without those bytes changes nothing. A reload costs a scan of every workload, and most UVE
 * changes (node status, BGP peers, counters) are not of interfaces; a false positive (the name in
 * some attribute) costs one reload more.
 */
export const mayChangeWorkloadIdentity = (batches: readonly Buffer[]): boolean =>
  batches.some((batch) => batch.includes(workloadStruct));
