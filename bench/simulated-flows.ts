/**
 * The rows the ingest benchmarks give the engine: the simulator's flow batches as the collector
 * publishes them, and its workloads as the VMI UVEs would have stored them, so that the inserts'
 * workload enrichment finds what it finds in a running pipeline.
 */
import { encodeBusBatch } from '../common/bus/envelope.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import { reloadWorkloadIdentity } from '../common/schema/dictionaries.js';
import { buildFlowPools, buildTopology, FlowBatchEncoder } from '../simulator/index.js';
import type { Workload } from '../simulator/fabric/topology/types.js';

export const BENCH_GENERATOR = 'bench:Compute:contrail-vrouter-agent:0';

/** Bus values of `records` simulated flows in batches of `batchSize`, and the fabric they came from. */
export function simulatedFlowBatches(records: number, vrouters: number, batchSize: number) {
  const topology = buildTopology({ vrouters, seed: 1 });
  const { pools } = buildFlowPools(topology);
  const encoder = new FlowBatchEncoder(pools[0]!, { salt: 1 });
  const now = Date.now() * 1000;
  const values: Buffer[] = [];
  for (let seq = 0; seq * batchSize < records; seq++) {
    const { flows } = encoder.encode(seq, Math.min(batchSize, records - seq * batchSize));
    values.push(
      encodeBusBatch({ generator: BENCH_GENERATOR, epoch: 1, seq, receivedAt: now }, 'flows', flows),
    );
  }
  return { topology, values };
}

/** Stores the fabric's workloads as the workloads view keeps them, and reloads the dictionary. */
export async function storeWorkloads(warehouse: Warehouse, workloads: readonly Workload[]): Promise<void> {
  const rows = workloads.map((w) =>
    JSON.stringify({
      vmi: w.vmiUuid,
      generator: BENCH_GENERATOR,
      received_at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
      ips: [w.ipv4, w.ipv6].filter((ip) => ip !== undefined),
      workload: w.name,
      workload_kind: w.kind,
      namespace: w.namespace,
      virtual_network: w.vn,
      labels: w.labels,
      deleted: false,
    }),
  );
  await warehouse.exec(`INSERT INTO workloads FORMAT JSONEachRow ${rows.join('\n')}`);
  await reloadWorkloadIdentity(warehouse);
}
