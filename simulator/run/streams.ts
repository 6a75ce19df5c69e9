import { buildFlowPools, type FlowPools } from '../fabric/flows/templates.js';
import { buildTopology } from '../fabric/topology/build.js';
import type { Topology } from '../fabric/topology/types.js';
import { FlowBatchEncoder } from '../sender/flow-encoder.js';
import { GeneratorSession } from '../sender/generator-session.js';
import { DEFAULT_BATCH_SIZE, type SimulateOptions } from './options.js';
import type { Batch, GeneratorStream, Run } from './run.js';
import { StatePlayer } from './state-player.js';

/** A run's streams: the seed's fabric, one Publish session per generator, and the state player. */

let lastEpoch = 0;

/** A generator epoch: its start time in µs, strictly increasing so runs in one process never share one. */
export function nextEpoch(): number {
  lastEpoch = Math.max(Date.now() * 1000, lastEpoch + 1);
  return lastEpoch;
}

/** The run's state player; whenever it queues something, the streams concerned pull again. */
function statePlayer(run: Run, options: SimulateOptions, topology: Topology, pools: FlowPools): StatePlayer {
  const samples = options.interfaceStatsSamples;
  const interval = options.interfaceStatsIntervalMs;
  const sampling = samples !== undefined || interval !== undefined;
  return new StatePlayer({
    topology,
    pools,
    state: options.state ?? true,
    ...(sampling
      ? { interfaceStats: { intervalMs: interval ?? 1000, ...(samples !== undefined ? { samples } : {}) } }
      : {}),
    events: options.events ?? [],
    onChange: (generator) => {
      run.kick(generator);
      run.checkDone();
    },
    disconnect: (generator, ms) =>
      run.streams.find((s) => s.generator === generator)?.session.disconnectFor(ms),
  });
}

/** Opens a session for every vRouter with flows to send, and for every generator with state to publish. */
export function openStreams(run: Run, options: SimulateOptions): void {
  const topology = buildTopology({
    vrouters: options.vrouters,
    seed: options.seed ?? 1,
    firstVrouter: options.firstVrouter ?? 0,
  });
  const flowPools = buildFlowPools(topology);
  const { pools } = flowPools;
  const player = (run.player = statePlayer(run, options, topology, flowPools));
  const publishing = player.generators();
  const epoch = nextEpoch();
  const open = (name: string, generator: string, flows: GeneratorStream['flows']): void => {
    const session = new GeneratorSession<Batch>({
      target: options.target,
      generator,
      ...(options.token !== undefined ? { token: options.token } : {}),
      epoch,
      maxBatchRecords: options.batchSize ?? DEFAULT_BATCH_SIZE,
      dropConnectionEvery: options.dropConnectionEvery ?? 0,
      source: { next: (seq, max) => run.next(stream, seq, max) },
      onOutcome: (batch, outcome) => run.outcome(stream, batch, outcome),
      onFatal: (err) => run.finish(err),
      onReconnected: () => player.resync(generator),
    });
    const stream: GeneratorStream = { name, generator, session, ...(flows ? { flows } : {}) };
    run.streams.push(stream);
  };
  topology.vrouters.forEach((vr, i) => {
    const pool = pools[i] ?? [];
    const flows =
      pool.length === 0 || options.flows === 0
        ? undefined
        : {
            encoder: new FlowBatchEncoder(pool, {
              salt: (epoch % 0x100000000) ^ Math.imul(i + 1, 0x9e3779b1),
              invalidEvery: options.invalidEvery ?? 0,
            }),
            totals: { records: 0, bytes: 0, packets: 0 },
          };
    if (flows || publishing.has(vr.generator)) open(vr.name, vr.generator, flows);
  });
  for (const node of [...topology.controlNodes, ...topology.configNodes])
    if (publishing.has(node.generator)) open(node.name, node.generator, undefined);
}
