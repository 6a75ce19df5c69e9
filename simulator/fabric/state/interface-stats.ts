import { create } from '@bufbuild/protobuf';
import { InterfaceStatsSchema, type InterfaceStats } from '../../../common/proto.js';
import type { Connection } from '../flows/connections.js';
import { buildFlowPools, type FlowPools } from '../flows/templates.js';
import { uuidToBytes, uuidToString } from '../random.js';
import type { Topology, Workload } from '../topology/types.js';

/**
 * Per-interface counters as a vRouter agent samples them, derived from the same connections the flow
 * records describe: every interval an interface counts one sample of each connection it takes part in
 * (scaled by the sampling factor) plus a little background traffic. "in" is what the workload sends
 * into the vRouter (the vif's RX), "out" what the vRouter delivers to it. Packets a flow's verdict
 * denies are counted as drops under the flow's TF drop reason (DROP_POLICY, DROP_SG, DROP_OUT_SG,
 * SHORT_NO_DST_ROUTE) on the interface whose vRouter dropped them.
 */

export interface InterfaceRate {
  workload: Workload;
  /** Per interval. */
  inBytes: number;
  inPackets: number;
  outBytes: number;
  outPackets: number;
  drops: Record<string, number>;
  /** Flow entries of this interface among what its vRouter exports (forward and reverse records). */
  activeFlows: number;
}

/** ARP, DHCP renewals and DNS: every interface sees a little traffic each interval. */
export const BACKGROUND = { packets: 2, bytes: 128 } as const;

/** The per-interval rates of every workload's interface, in topology order. */
export function interfaceRates(topo: Topology, pools: FlowPools = buildFlowPools(topo)): InterfaceRate[] {
  const rates = new Map<string, InterfaceRate>(
    topo.workloads.map((workload) => [
      workload.vmiUuid,
      {
        workload,
        inBytes: BACKGROUND.bytes,
        inPackets: BACKGROUND.packets,
        outBytes: BACKGROUND.bytes,
        outPackets: BACKGROUND.packets,
        drops: {},
        activeFlows: 0,
      },
    ]),
  );
  for (const conn of pools.connections) addConnection(rates, conn);
  for (const pool of pools.pools) {
    for (const t of pool) {
      const rate = rates.get(uuidToString(t.fields.vmiUuid));
      if (rate) rate.activeFlows++;
    }
  }
  return [...rates.values()];
}

function addConnection(rates: Map<string, InterfaceRate>, conn: Connection): void {
  const scale = Math.max(conn.sampling, 1);
  const fwd = { bytes: conn.forward.bytes * scale, packets: conn.forward.packets * scale };
  const back = { bytes: conn.reverse.bytes * scale, packets: conn.reverse.packets * scale };
  const { action, deniedAt, dropReason } = conn.verdict;
  const passed = action === 'PASS';
  const src = rates.get(conn.source.vmiUuid);
  if (src) {
    src.inBytes += fwd.bytes;
    src.inPackets += fwd.packets;
    if (passed) {
      src.outBytes += back.bytes;
      src.outPackets += back.packets;
    } else if (deniedAt === 'source') {
      addDrops(src, dropReason, fwd.packets);
    }
  }
  const dst = conn.destination ? rates.get(conn.destination.vmiUuid) : undefined;
  if (!dst || deniedAt === 'source') return;
  if (passed) {
    dst.outBytes += fwd.bytes;
    dst.outPackets += fwd.packets;
    dst.inBytes += back.bytes;
    dst.inPackets += back.packets;
  } else {
    addDrops(dst, dropReason, fwd.packets);
  }
}

function addDrops(rate: InterfaceRate, reason: string, packets: number): void {
  rate.drops[reason] = (rate.drops[reason] ?? 0) + packets;
}

/** An interface's cumulative counters after `intervals` intervals since it (or its vRouter) came up. */
export function statsAt(rate: InterfaceRate, intervals: number, nowUs: number): InterfaceStats {
  const w = rate.workload;
  return create(InterfaceStatsSchema, {
    vmiUuid: uuidToBytes(w.vmiUuid),
    vmName: w.name,
    virtualNetwork: w.vn,
    vrouter: w.vrouter,
    inBytes: BigInt(rate.inBytes * intervals),
    outBytes: BigInt(rate.outBytes * intervals),
    inPackets: BigInt(rate.inPackets * intervals),
    outPackets: BigInt(rate.outPackets * intervals),
    drops: Object.fromEntries(
      Object.entries(rate.drops).map(([reason, n]) => [reason, BigInt(n * intervals)]),
    ),
    activeFlows: rate.activeFlows,
    timestamp: BigInt(nowUs),
  });
}

export interface InterfaceStatsOptions {
  /** 0-based sample number: sample n holds n + 1 intervals' worth since the vRouter came up. */
  sample: number;
  nowUs: number;
  /** vRouter → the sample at which it last restarted: its counters start again from one interval. */
  restartedAt?: Readonly<Record<string, number>>;
  /** Only these vRouters (default: all). */
  vrouters?: readonly string[];
}

/** Intervals an interface of `vrouter` has counted at `sample`, given its last restart. */
export const intervalsAt = (
  vrouter: string,
  sample: number,
  restartedAt: Readonly<Record<string, number>> = {},
): number => sample - Math.min(sample, restartedAt[vrouter] ?? 0) + 1;

/** One sample of every interface (vRouter by vRouter, in topology order). */
export function buildInterfaceStats(
  topo: Topology,
  options: InterfaceStatsOptions,
  rates: readonly InterfaceRate[] = interfaceRates(topo),
): InterfaceStats[] {
  const wanted = new Set(options.vrouters ?? topo.vrouters.map((v) => v.name));
  return topo.vrouters
    .filter((vr) => wanted.has(vr.name))
    .flatMap((vr) =>
      rates
        .filter((r) => r.workload.vrouter === vr.name)
        .map((r) => statsAt(r, intervalsAt(vr.name, options.sample, options.restartedAt), options.nowUs)),
    );
}
