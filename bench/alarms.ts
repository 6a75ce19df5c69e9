/**
 * Alarm engine benchmark, run by hand (`npm run build && node dist/bench/alarms.js [uves] [generators]
 * [rate] [seconds]`, defaults 10000 1000 2000 30). The fabric is the simulator's: `generators − 3`
 * vRouter agents, 2 control nodes and a config node publishing their UVEs as when they connect, each
 * vRouter also reporting extra workloads (a virtual machine and its interface, copies of the fabric's
 * own renamed) until there are `uves` UVEs. Interface counters are zero (the simulator's
 * interfaceRates takes about 10 s for a thousand vRouters; no rule's cost depends on them).
 * Every built-in rule is loaded. Two figures:
 *
 * 1. The engine alone, in this process (alarms/engine.ts and the rules, no bus, no warehouse): every
 *    UVE aggregated and evaluated, round after round, each round after every vRouter's agent process
 *    has flipped between running and exited, so that each round also raises or clears the
 *    process-status and process-connectivity alarms of every vRouter. Prints UVEs and rule
 *    evaluations per second.
 * 2. End to end on the embedded pipeline (a `fabricscope start` process, chdb): every generator's
 *    Publish stream sends its UVEs; once stored and evaluated, vRouters' NodeStatus flips (process
 *    exited, running again: process-status raised, cleared, no soak) at `rate` changes per second
 *    for `seconds`, after a phase at a tenth of the rate. A vRouter has one change under way at a
 *    time: its next waits until this one's transition is read, so each transition is matched to its
 *    change (two changes of one vRouter in one delivery would be evaluated once, over the last); the
 *    rate reached is printed, below the one asked when every vRouter has a change under way. For
 *    each change, on this machine's wall clock (Date.now in both processes): when its vRouter's
 *    stream received the collector's ack; `evaluated`, the transition's time as the engine stamped
 *    it, before storing; `stored`, when the engine had stored it (it logs each store with its rows'
 *    versions, see StoreLog); `read`, when this process read it from GraphQL's alarmHistory (every
 *    100 ms).
 *    Prints p50/p99/max from the ack, and the CPU each process used, per phase.
 *
 * Figures, four runs with the defaults (2 cores shared with other jobs, load average 6–15):
 *
 * - engine alone: 42–78k UVEs/s aggregated and evaluated; evaluated alone 93–171k UVEs/s, 157–291k
 *   rule evaluations/s. Before parseJson refused text that cannot be JSON without throwing (a
 *   thrown JSON.parse per string compared was the pipeline's hottest function, 11.5% of its CPU
 *   profile at 2000/s), side by side: 26–33k, 41–52k and 70–88k against 54–83k, 115–189k and
 *   195–320k.
 * - end to end at 200/s: ack → evaluated p50 29–38 ms, p99 138–353 ms; ack → stored p50 76–115 ms,
 *   p99 204–557 ms.
 * - end to end at 2000/s asked, 1070–1695/s reached: ack → evaluated p50 60–112 ms, p99 253–359 ms;
 *   ack → stored p50 164–336 ms, p99 452–818 ms; acks themselves p50 200–337 ms. The goal, p99
 *   under 200 ms at 2000/s, is not met here. The pipeline process got 0.7–1 core in both phases
 *   (0.8–1 even at 200/s, not analysed further) and the engine's own work is small (2000
 *   UVEs/s is 3–5% of a core by the first figure): the shared machine's load sets these latencies.
 *
 * On a quiet machine (load average 1.8–2.3), with the partitioned engine (UVE batches re-keyed by UVE
 * onto the alarms topic, one more hop through the bus): engine alone 84k UVEs/s aggregated and
 * evaluated, 185k evaluated alone, 313k rule evaluations/s; at 200/s ack → evaluated p50 42 / p99
 * 108 ms, ack → stored p50 75 / p99 172 ms; at 2000/s (1999/s reached) ack → evaluated p50 120 / p99
 * 254 ms, ack → stored p50 199 / p99 377 ms, the pipeline using 1.35 cores. Still above the 200 ms
 * goal: the engine stored each step before it took the next delivery, so a step waited behind the
 * previous one's insert, itself queued in chdb behind the writer's.
 *
 * Then (same quiet machine, load 2.1–3.1 during the run): the engine's steps pipelined (the next
 * delivery evaluated while this one's transitions are written) with group commit (steps taken during
 * one insert share the next), the local bus lingering from a message's arrival rather than after each
 * delivery, and workload_by_ip reloaded only after interface structs (it was reloaded after every UVE
 * delivery, 160 ms each under load). Engine alone 84k UVEs/s aggregated and evaluated, 192k evaluated
 * alone, 327k rule evaluations/s; at 200/s ack → evaluated p50 39 / p99 62 ms, ack → stored p50 79 /
 * p99 230 ms; at 2000/s (1850/s reached) ack → evaluated p50 72 / p99 141 ms, ack → stored p50 153 /
 * p99 343 ms. The pipeline uses 1.5 cores at either rate, mostly chdb's inserts (its JS thread is
 * idle 58% of the time), and this process 0.25: the machine's two cores are the bound, and acks
 * themselves take p50 320 ms at 2000/s. Goal (stored p99 < 200 ms at 2000/s) not met here.
 *
 * Then, with each phase's warehouse writes printed (three runs, quiet machine, load 1.9–3.6): the
 * pipeline uses 1.5–1.6 cores at 200/s as at 2000/s. At 200/s the alarm store wrote 304–507 times in
 * 20 s at 31–64 ms each (13 rows or so: the cost is per insert, not per row) and the writer's
 * uve_updates 162–181 times at 59–101 ms. `perf` of the pipeline there: 33% of its CPU in chdb's
 * merges of those small parts, 27% in the kernel creating files (ext4 scans the inodes freed in the
 * last minutes on every file created: parts written, merged, deleted). Storing the alarms as JSON rows
 * (Warehouse.insertRows) costs 7.3 ms alone against 12.5 for the INSERT … SELECT over arrays, and the
 * bus's offset files are now overwritten in place, but the run-to-run spread of the machine is wider
 * than either: at 200/s ack → stored p50 99–173 / p99 196–346 ms; at 2000/s asked (963–1445/s
 * reached) p50 169–255 / p99 460–479 ms. A writer lingering 1 s instead of 100 ms (uve_updates 20
 * inserts instead of 164) saved 0.1 core and did not move the store's time. Goal not met on this
 * machine: the bound is the engine's per-insert and per-part cost on two cores, not the rules.
 *
 * Then the merges themselves: uve_latest's 19.5k rows were rewritten at nearly every insert (142
 * merges for 150 inserts, 0.6 core at 20 changes/s) because ClickHouse's merge selector trims the
 * small parts off the right of a range, leaving [the table, one new part]; migration 12 turns that
 * heuristic off, and the new parts merge together first. This process read every metric 50 times a
 * second for its clock (15% of the pipeline's JS in the profile: prom-client collecting every
 * vRouter's series); it now reads its one counter (`/metrics?name=`). Runs 6 minutes apart (ext4
 * skips, on every file it creates, the inodes freed in the last 5 minutes: a run right after another
 * pays for the previous one's deleted data), with and without migration 12, same build otherwise: at
 * 200/s the pipeline used 1.25 cores with it, 1.51 without; ack → stored p50 73 / p99 165 ms against
 * 73 / 138; at 2000/s asked (1871/s and 1896/s reached) p50 151 / p99 419 ms against 154 / 470. The
 * alarm store on a chdb session of its own (a session runs its statements one at a time, so the store
 * waited behind the writer's inserts) took 52 ms per store at 2000/s as with one session (50): the
 * two cores are the bound (the pipeline 1.46 cores and this process 0.29 at 2000/s; load average 11).
 *
 * Then the router (the engine's first stage) passes deliveries on without lingering: the engine's
 * consumer lingers already. Two runs against one, 6 minutes apart: at 200/s ack → evaluated p50 16 / p99
 * 37–39 ms against 41 / 70, ack → stored p50 48–54 / p99 143–155 against 101 / 233; at 2000/s asked
 * (1575–1592/s reached against 1375/s) evaluated p50 32–35 / p99 98–121 against 83 / 211, stored p50
 * 144–146 / p99 516–573 against 202 / 608. The store (62–66 ms each at 2000/s) bounds the rest.
 *
 * Then the embedded engine's merges at nice 10 (they had the same share of the two cores as the
 * inserts the engine's store waits for). Five runs alternated 5 minutes apart (2 AMD EPYC cores, no
 * other job), three with against two without: at 200/s ack → stored p99 77–119 against 112–152 ms;
 * at 2000/s asked 1,216–1,389/s reached against 1,067–1,117/s, ack → stored p50 107–117 / p99
 * 437–519 against 125–131 / 557–558 ms, the store 36–41 against 46–47 ms an insert, the engine's
 * histogram 82–91% within 200 ms against 76%. Acks themselves p50 528–632 against 680–721 ms.
 * Where the cores go at 2000/s asked (per-thread CPU from /proc, 5 s samples): the pipeline's
 * JavaScript thread 0.8–0.9 core and idle 5.6% of the phase in its `--cpu-prof` (garbage collection
 * 10.6%, Protobuf 9.7% — 5.8 of it the router re-keying UVE batches onto the alarms topic and the
 * engine decoding them —, chdb's binding 5.9%, rule operands parsed as JSON 3.9%, validation 2.7%,
 * UVE aggregation 3.2%, no one hot spot), merges 0.3–0.47 core even at nice 10, chdb's statements
 * 0.2–0.35, this process 0.27: the acks wait for the JavaScript thread, and the machine for its two
 * cores. The goal (p99 < 200 ms at 2000/s) is not met here.
 *
 * Then the JavaScript per change, from that profile (2026-12-03, same machine; runs 5–10 minutes
 * apart, ±30% between runs): the rules remember the JSON texts they parse (a vRouter's package
 * versions and build_info were parsed three times an evaluation), the router passes a batch of one
 * UVE on in the bytes it came in instead of decoding and encoding it (8% of the JavaScript), the
 * engine and the fabric metrics read UVE records on the wire instead of through protobuf-es (6%), the
 * engine combines again only the structs of a UVE that changed, and the bus header is written by hand
 * (2.4%). Engine alone: 47–51k → 84–101k UVEs/s aggregated and evaluated, 103–110k → 129–152k
 * evaluated alone. At 2000/s asked the high phase reached 1,124/s before and 1,246–1,605/s after,
 * ack → stored p50 125 → 92–137 ms, p99 639 → 371–543 ms, the pipeline's JavaScript 0.85 → 0.58 ms
 * a change. Each phase now also prints the pipeline's event loop delay and its bus log appends:
 * the event loop waited p99 12–23 ms at the high phase, so the JavaScript thread no longer queues
 * the acks; yet acks took p50 433–565 ms while the collector itself (a batch received → its ack
 * written, measured in the pipeline for one run) took p50 24–30 / p99 ~100 ms. The rest was this
 * process: grpc-js carried its 1000 streams over one HTTP/2 connection. With a connection per
 * generator, as vRouters have (two runs): 1,826–1,846/s reached, acks p50 164–178 ms, ack →
 * evaluated p50 36–61 / p99 126–178 ms, ack → stored p50 157–192 / p99 451–640 ms, the pipeline 1.4
 * cores and this process 0.35–0.38: the cores are no longer all busy, and what remains is I/O. The
 * bus log's appends (write + fsync) took p50 ≤ 50 / p99 ≤ 250 ms at that rate (≤ 5 / ≤ 25–50 ms at
 * 200/s) and a change passes two before it is evaluated (the collector's, then the router's onto the
 * alarms topic: a consumer sees a message once it is fsynced); the alarm store took 52–61 ms an
 * insert and uve_updates 132–143 ms. The engine consuming without lingering (alarms-linger-ms 0)
 * evaluated sooner (p50 36 against 61 ms) but did not store sooner (p99 640 against 451 ms). The
 * collector now times its batches (`fabricscope_collector_batch_duration_seconds`, printed per phase):
 * on the final build, quiet machine, 1,973/s reached, the collector's batch received → acked p50
 * ≤ 50 / p99 ≤ 250 ms (its bus fsync; ≤ 5 / ≤ 25 ms at 200/s), acks at this process p50 145 ms, ack →
 * evaluated p50 59 / p99 148 ms, ack → stored p50 169 / p99 479 ms; at 200/s ack → stored p50 37 /
 * p99 92 ms. The goal is not met here; the next steps the figures point to: a consumer of the
 * embedded bus seeing appended messages before their fsync (as Kafka's consumers see a replicated
 * message, not a flushed one; acks still waiting for the fsync), and the alarm store's inserts
 * beside the writer's.
 *
 * Then a consumer of the local log reads an append once written, before its fsync
 * (common/bus/topic-log.ts); acks still wait for the fsync. Three pairs of runs alternated 5 minutes
 * apart, with against without: at 200/s ack → stored p50 50–63 / p99 122–159 against 76–87 /
 * 162–190 ms; at 2000/s asked (1,691–1,870/s reached against 1,756–1,989/s) ack → evaluated p50
 * 14–20 / p99 84–185 against 62–67 / 154–209 ms, ack → stored p50 138–157 / p99 333–368 against
 * 170–206 / 365–469 ms; two more runs with it: stored p99 378–428 ms at 1,698–1,817/s. Measured and
 * not kept: the router answering its delivery before its own fsync (two pairs, no difference beyond
 * the spread); segment files opened O_DSYNC, one thread-pool call per append instead of two (appends
 * no faster); ClickHouse's query `priority` (the alarm store 1, bulk inserts 2: beside two bulk
 * inserts the store took p50 89–100 ms against 74–90 without). Where the time goes now: at 2000/s
 * an append takes p50 13–30 ms in the pipeline while a probe process beside it appended and fsynced
 * in p50 0.7–1.0 / p99 ≤ 12 ms, the disk busy ≤ 11% of the time: the rest is the wait for the
 * JavaScript thread (busy 87% of the phase in its profile) to take each completion. And the store: a
 * change waits for the insert under way, then for its own (60–74 ms each at 2000/s, 13–20 ms alone);
 * per second of the phase, ack → stored is as high at p50 as at its max (one run: p50 ~300, max ~380
 * ms), a steady queue rather than rare stalls. The goal is not met here.
 *
 * Then where the JavaScript thread's time goes at 2000/s (2026-12-03, same machine, runs 5 minutes
 * apart). A probe in the pipeline (a setImmediate every 20 ms, then an fs.stat) found its backlog
 * p50 10 / p90 62 / p99 134 ms in the high phase, where the event loop delay histogram says p99
 * 15–23 ms (it samples a 10 ms timer; the backlog comes in bursts). Each chdb statement waited about
 * as long again as the engine ran it: the alarm store's insert took p50 21–36 / p90 37–63 ms in the
 * engine (chdb's `elapsed`), its promise resolved after p50 41–58 / p90 87–120 ms. The store was
 * writing 57% of the phase. Measured and not kept: two stores writing at once, each alarm's rows in
 * order (two pairs: at 200/s ack → stored p50 43 / p99 85–97 against 72–74 / 145–156 ms; at 2000/s
 * asked 1,734–1,798/s reached against 1,964–1,996/s, p99 382–495 against 306–377 ms: more inserts
 * left less CPU to the rest); a 64 MiB young generation (--max-semi-space-size: two runs against one,
 * no better); the writer's inserts niced (ClickHouse's os_thread_priority leaves a pooled thread
 * niced after its query); alarm_state in EmbeddedRocksDB (an insert with its view 10–14 ms against
 * 7–10 alone). And `stored` had been timed by sampling the engine's counter over HTTP every 20 ms,
 * whose round trip took p50 39 / p99 206 ms at 2000/s; it is now exact (StoreLog). Three runs so:
 * engine alone 76–95k UVEs/s aggregated and evaluated, 111–144k evaluated alone; at 200/s ack →
 * stored p50 31–70 / p99 81–155 ms; at 2000/s asked (1,830–1,964/s reached) ack → evaluated p50
 * 20–23 / p99 79–93 ms, ack → stored p50 107–123 / p99 268–433 ms. The goal is not met here.
 *
 * Then (2026-12-03, one run each, 5 minutes apart): a `--cpu-prof` of the pipeline at 1,785/s has its
 * JavaScript thread idle 16% of the high phase, in busy stretches (no idle sample between) of p50 8 /
 * p90 73 / p99 198 / max 291 ms; garbage collection 10.5% (pauses p99 16 ms), the engine's service
 * 15.7% (its rules 4.4%), the collector 11.6%, this process's alarmHistory reads about 8%, the writer
 * 5.7%, fabric metrics 3.9%: no one hot spot. Measured and not kept: the store without the
 * alarm_state view, writing one table (61 ms an insert against 67; ack → stored p99 355 against 492
 * ms, within the spread); the engine lingering 5 ms instead of 20 (1,998/s reached, ack → stored p99
 * 547 ms). The goal is not met here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILTIN_RULES } from '../common/model/alarm-rules/builtin/index.js';
import { uvePartOf } from '../common/model/uve-parts.js';
import type { UveUpdate } from '../common/proto.js';
import { AlarmEngine, type Evaluation } from '../alarms/engine.js';
import { alarmMetrics } from '../alarms/metrics.js';
import { UveState, uveKey } from '../alarms/uve-state.js';
import { graphql, startPipelineProcess } from '../harness/pipeline-process.js';
import { transitionCursor } from '../query/alarms/resolvers.js';
import { pipelineDrained } from '../harness/wait.js';
import { buildTopology, GeneratorSession, type Topology } from '../simulator/index.js';
import { healthyCondition, processExited } from '../simulator/fabric/state/condition.js';
import { fabricNode } from '../simulator/fabric/state/fabric-nodes.js';
import { configNodeUves } from '../simulator/fabric/state/uves/config-node.js';
import { controlNodeUves } from '../simulator/fabric/state/uves/control-node.js';
import { nodeStatusUve } from '../simulator/fabric/state/uves/node-status.js';
import {
  uveContext,
  virtualMachineUve,
  vmInterfaceUve,
  vmiStatsUve,
  vrouterUves,
} from '../simulator/fabric/state/uves/vrouter-agent.js';
import type { OutgoingBatch } from '../simulator/sender/generator-session.js';
import { encodeStateBatch } from '../simulator/sender/state-encoder.js';
import { percentile } from './timing.js';

const uveTarget = Number(process.argv[2] ?? 10_000);
const generatorCount = Number(process.argv[3] ?? 1000);
const rate = Number(process.argv[4] ?? 2000);
const phaseMs = Number(process.argv[5] ?? 30) * 1000;
const PROCESS_STATUS = 'system-defined-process-status';

// ---------------------------------------------------------------------------------------------
// The fabric

interface Generator {
  generator: string;
  uves: UveUpdate[];
}

interface Fabric {
  generators: Generator[];
  uveCount: number;
  /** Per vRouter: its generator, and its NodeStatus with the agent exited, and running. */
  flips: { host: string; generator: string; down: UveUpdate; up: UveUpdate }[];
}

function buildFabric(): Fabric {
  const topo = buildTopology({ vrouters: Math.max(1, generatorCount - 3), seed: 1 });
  const nowUs = Date.now() * 1000;
  const healthy = healthyCondition(nowUs);
  const ctx = uveContext(topo, []);
  const byHost = new Map<string, Generator>();
  for (const vr of topo.vrouters) {
    byHost.set(vr.name, { generator: vr.generator, uves: vrouterUves(ctx, vr, healthy, nowUs) });
  }
  const others = [
    ...topo.controlNodes.map((c) => ({
      generator: c.generator,
      uves: controlNodeUves(topo, c, healthy, nowUs),
    })),
    ...topo.configNodes.map((c) => ({
      generator: c.generator,
      uves: configNodeUves(topo, c, healthy, nowUs),
    })),
  ];
  const generators = [...byHost.values(), ...others];
  let uveCount = countUves(generators);
  // More workloads per vRouter: a copy of each of the fabric's, on its vRouter, under new uuids.
  for (let copy = 1; uveCount < uveTarget; copy++) {
    for (const w of topo.workloads) {
      if (uveCount >= uveTarget) break;
      const clone = {
        ...w,
        name: `${w.name}-${copy}`,
        vmUuid: renamed(w.vmUuid, copy),
        vmiUuid: renamed(w.vmiUuid, copy),
      };
      byHost
        .get(w.vrouter)!
        .uves.push(
          virtualMachineUve(ctx, clone, nowUs),
          vmInterfaceUve(ctx, clone, healthy, nowUs),
          vmiStatsUve(ctx, clone, nowUs),
        );
      uveCount += 2;
    }
  }
  return { generators, uveCount, flips: flipsOf(topo, nowUs) };
}

const countUves = (generators: readonly Generator[]): number =>
  new Set(generators.flatMap((g) => g.uves.map((u) => uveKey(u.type, u.name)))).size;

/** A uuid with its last group replaced: unique per copy. */
const renamed = (uuid: string, copy: number): string =>
  `${uuid.slice(0, 24)}${copy.toString(16).padStart(4, '0')}${uuid.slice(28)}`;

function flipsOf(topo: Topology, nowUs: number): Fabric['flips'] {
  return topo.vrouters.map((vr) => {
    const node = fabricNode(topo, vr.name);
    const down = healthyCondition(nowUs);
    processExited(down, node, node.module, nowUs);
    return {
      host: vr.name,
      generator: vr.generator,
      down: nodeStatusUve(node, down, nowUs),
      up: nodeStatusUve(node, healthyCondition(nowUs), nowUs),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 1. The engine alone

async function engineAlone(fabric: Fabric): Promise<void> {
  let time = Date.now() * 1000;
  const parts = fabric.generators.flatMap(({ generator, uves }) =>
    uves.map((u) => ({ type: u.type, name: u.name, part: uvePartOf(generator, u, time) })),
  );
  const state = UveState.of(parts, new Map(), new Map());
  const keys = [...state.keys()];
  const engine = new AlarmEngine(BUILTIN_RULES);
  const evaluationsBefore = await counted();
  let rounds = 0;
  let transitions = 0;
  let aggregateMs = 0;
  let evaluateMs = 0;
  const started = performance.now();
  while (performance.now() - started < 10_000 || rounds < 2) {
    time += 1000;
    for (const flip of fabric.flips) {
      const record = rounds % 2 === 0 ? flip.down : flip.up;
      state.apply({
        type: record.type,
        name: record.name,
        deleted: false,
        part: uvePartOf(flip.generator, record, time),
      });
    }
    const t0 = performance.now();
    const evaluations = new Map<string, Evaluation>(keys.map((key) => [key, { uve: state.aggregated(key) }]));
    const t1 = performance.now();
    const changes = engine.evaluate(evaluations, time / 1000);
    engine.apply(changes);
    evaluateMs += performance.now() - t1;
    aggregateMs += t1 - t0;
    transitions += changes.reduce((n, c) => n + c.transitions.length, 0);
    rounds++;
  }
  const ruleEvaluations = (await counted()) - evaluationsBefore;
  const perSecond = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
  const uves = rounds * keys.length;
  console.log(
    `engine alone: ${rounds} rounds over ${keys.length} UVEs (${parts.length} parts), ${BUILTIN_RULES.length} built-in rules, ${transitions} transitions`,
  );
  console.log(
    `  aggregate + evaluate: ${perSecond(uves, aggregateMs + evaluateMs)} UVEs/s; evaluate alone: ${perSecond(uves, evaluateMs)} UVEs/s, ${perSecond(ruleEvaluations, evaluateMs)} rule evaluations/s`,
  );
}

async function counted(): Promise<number> {
  return (await alarmMetrics.evaluations.get()).values.reduce((n, v) => n + v.value, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. End to end

interface Batch extends OutgoingBatch {
  /** The change's index in `acks`, for a NodeStatus flip. */
  change?: number;
}

/** A generator's Publish stream, sending what is queued on it. */
class Stream {
  readonly session: GeneratorSession<Batch>;
  private readonly queue: { records: UveUpdate[]; change?: number }[] = [];

  constructor(target: string, generator: string, onAck: (change: number) => void) {
    this.session = new GeneratorSession<Batch>({
      target,
      generator,
      epoch: 1,
      maxBatchRecords: 1000,
      // A connection per generator, as vRouters have: grpc-js would otherwise carry every stream of
      // this process over one HTTP/2 connection.
      clientOptions: { 'grpc.use_local_subchannel_pool': 1 },
      source: { next: (seq) => this.next(seq) },
      onOutcome: (batch, outcome) => {
        if (outcome.rejected.length > 0)
          throw new Error(`${generator}: records refused ${JSON.stringify(outcome)}`);
        if (batch.change !== undefined) onAck(batch.change);
      },
      onFatal: (err) => {
        throw err;
      },
    });
    this.session.start();
  }

  send(records: UveUpdate[], change?: number): void {
    for (let i = 0; i < records.length; i += 1000)
      this.queue.push({ records: records.slice(i, i + 1000), change });
    this.session.kick();
  }

  private next(seq: number): Batch | null {
    const item = this.queue.shift();
    if (!item) return null;
    const payload = encodeStateBatch('uves', seq, item.records);
    return { seq, payload, records: item.records.length, kind: 'uves', change: item.change };
  }
}

interface Change {
  host: string;
  /** Whether it exits the process (raises process-status) or runs it again (clears it). */
  raises: boolean;
  sent: number;
  acked?: number;
  /** The time of the transition that shows it, as the engine stamped it. */
  evaluated?: number;
  /** When this process first read that transition. */
  read?: number;
  /** Its transition's version (alarms/store.ts: the order the engine stores transitions in). */
  version?: number;
}

interface Row {
  cursor: string;
  node: { time: string; name: string; type: string; kind: string; to: string };
}

const READ_EVERY_MS = 100;

/**
 * When the engine stored each transition: it logs each store once written, at debug level, with the
 * versions of its rows (alarms/store.ts), and a transition's version is in its alarmHistory cursor.
 * Exact to the engine's own clock, where sampling its stored-transitions counter over HTTP was not:
 * at 2000/s that counter's round trip took p50 39 / p99 206 ms, the pipeline's JavaScript being busy.
 */
class StoreLog {
  private readonly stores: { first: number; last: number; at: number }[] = [];
  /** The end of the last chunk read, a line begun. */
  private partial = '';

  /** Takes a chunk of the pipeline's log (JSON lines). */
  read(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"alarm transitions stored"')) continue;
      const { time, versions } = JSON.parse(line) as { time: number; versions: [number, number] };
      this.stores.push({ first: versions[0], last: versions[1], at: time });
    }
  }

  /** When the transition of this version was stored (stores write in order of their versions). */
  storedAt(version: number): number {
    let [low, high] = [0, this.stores.length];
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.stores[middle]!.last < version) low = middle + 1;
      else high = middle;
    }
    const store = this.stores[low];
    if (!store || store.first > version) throw new Error(`no store logged of version ${version}`);
    return store.at;
  }
}

/**
 * Reads alarmHistory back to back and matches each process-status transition to the change it
 * shows: a vRouter has one change at a time under way (its next waits for this one's transition), so
 * that no delivery holds two changes of one vRouter, evaluated once over the last.
 */
class HistoryReader {
  private readonly seen = new Set<string>();
  private from = new Date().toISOString();
  private stopped = false;
  reads = 0;
  /** Transitions that no change under way explains (none expected). */
  unexplained = 0;
  /** Reads that failed (printed at the end): the next read takes up where they left off. */
  readonly errors: string[] = [];
  readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    /** Per host, its change under way, if any. */
    private readonly underWay: Map<string, Change>,
    private readonly onShown: (change: Change) => void,
  ) {
    this.done = this.loop();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  /** Resolves once a read has begun and ended after now. */
  async caughtUp(): Promise<void> {
    const after = this.reads + 2;
    while (this.reads < after) await sleep(10);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Paced: each read scans the day's transitions (alarms is sorted by alarm, not time) and
      // queues before the engine's inserts in chdb.
      const paced = sleep(READ_EVERY_MS);
      const rows = await this.page().catch((err: unknown) => {
        this.errors.push(err instanceof Error ? err.message : String(err));
        return [];
      });
      const read = Date.now();
      // Oldest first: a host's transitions in the order they were made.
      for (const row of rows.reverse()) {
        if (this.seen.has(row.cursor) || row.node.kind !== 'STATE') continue;
        this.seen.add(row.cursor);
        if (row.node.type.endsWith(PROCESS_STATUS)) this.match(row, read);
        if (row.node.time > this.from) this.from = row.node.time;
      }
      this.reads++;
      await paced;
    }
  }

  private match(row: Row, read: number): void {
    const change = this.underWay.get(row.node.name);
    if (!change || change.raises !== (row.node.to === 'ACTIVE')) {
      this.unexplained++;
      return;
    }
    this.underWay.delete(row.node.name);
    Object.assign(change, { evaluated: Date.parse(row.node.time), read, version: versionOf(row.cursor) });
    this.onShown(change);
  }

  /** Every transition at or after the newest seen (later steps are stamped no earlier: one at a time). */
  private async page(): Promise<Row[]> {
    const rows: Row[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        alarmHistory: { edges: Row[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = await graphql(
        this.url,
        `
          query ($from: String, $after: String) {
            alarmHistory(from: $from, first: 1000, after: $after) {
              edges {
                cursor
                node {
                  time
                  name
                  type
                  kind
                  to
                }
              }
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        `,
        { from: this.from, after },
      );
      rows.push(...data.alarmHistory.edges);
      if (!data.alarmHistory.pageInfo.hasNextPage) return rows;
      after = data.alarmHistory.pageInfo.endCursor;
    }
  }
}

/** A transition's version, from its alarmHistory cursor. */
const versionOf = (cursor: string): number => Number(transitionCursor.decode(cursor, 'cursor')[0]);

/** Every fabric metric without labels (label contexts, README "Fabric metrics"). */
const fabricTotalsOnly = [
  'flows',
  'flow_bytes',
  'generators',
  'vrouter_up',
  'vrouter_xmpp_sessions',
  'vrouter_active_flows',
  'control_bgp_peers',
  'control_bgp_peers_up',
]
  .map((metric) => `${metric}=`)
  .join(';');

async function endToEnd(fabric: Fabric): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-alarms-'));
  const args = ['--max-streams-per-peer', String(fabric.generators.length + 10)];
  // Each phase reads /metrics: the per-vRouter fabric series of a thousand vRouters would make each
  // read cost the pipeline milliseconds. Only their totals are kept here.
  args.push('--fabric-metrics-labels', fabricTotalsOnly);
  // Debug: the engine logs each store (StoreLog).
  args.push('--log-level', 'debug');
  const pipeline = await startPipelineProcess(dataDir, { args });
  // Its log (JSON lines on stdout): errors are printed at the end.
  const logged: string[] = [];
  const stores = new StoreLog();
  pipeline.child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stores.read(text);
    for (const line of text.split('\n')) if (/"level":(50|60)/.test(line)) logged.push(line);
  });
  const changes: Change[] = [];
  const streams = new Map<string, Stream>();
  const onAck = (i: number) => (changes[i]!.acked = Date.now());
  let reader: HistoryReader | undefined;
  try {
    const started = performance.now();
    for (const { generator, uves } of fabric.generators) {
      const stream = new Stream(pipeline.grpcTarget, generator, onAck);
      streams.set(generator, stream);
      stream.send(uves);
    }
    await Promise.all([...streams.values()].map((s) => s.session.whenIdle()));
    const acked = performance.now() - started;
    await pipelineDrained(pipeline);
    console.log(
      `end to end: ${fabric.generators.length} generators' ${fabric.uveCount} UVEs acked in ${Math.round(acked)} ms, stored and evaluated after ${Math.round(performance.now() - started)} ms`,
    );
    // vRouters with no change under way, in the order their last was shown.
    const free = fabric.flips.map((_, i) => i);
    const indexOf = new Map(fabric.flips.map((f, i) => [f.host, i]));
    const raised = new Set<string>();
    const underWay = new Map<string, Change>();
    reader = new HistoryReader(pipeline.graphqlUrl, underWay, (c) => free.push(indexOf.get(c.host)!));
    for (const [phase, perSecond] of [
      ['low', Math.max(1, Math.round(rate / 10))],
      ['high', rate],
    ] as const) {
      const from = changes.length;
      const before = await usage(pipeline.httpUrl);
      const phaseStarted = performance.now();
      const sent = await flipAt(perSecond, () => {
        const i = free.shift();
        if (i === undefined) return false;
        const flip = fabric.flips[i]!;
        const raises = !raised.has(flip.host);
        if (raises) raised.add(flip.host);
        else raised.delete(flip.host);
        const change: Change = { host: flip.host, raises, sent: Date.now() };
        underWay.set(flip.host, change);
        changes.push(change);
        streams.get(flip.generator)!.send([raises ? flip.down : flip.up], changes.length - 1);
        return true;
      });
      const ended = performance.now();
      await Promise.all([...streams.values()].map((s) => s.session.whenIdle()));
      await pipelineDrained(pipeline, 600_000);
      const drainedMs = performance.now() - ended;
      await reader.caughtUp();
      report(phase, perSecond, changes.slice(from), sent, drainedMs, stores);
      const used = await usage(pipeline.httpUrl);
      const cores = (seconds: number) => ((seconds * 1000) / (performance.now() - phaseStarted)).toFixed(2);
      console.log(
        `  CPU: the pipeline ${cores(used.pipeline - before.pipeline)} cores, this process ${cores(used.bench - before.bench)} (${availableParallelism()} on the machine, load average ${loadavg()[0]!.toFixed(1)})`,
      );
      console.log(
        `  the pipeline's event loop delay p50 ${used.eventLoopDelayMs[0]} ms, p99 ${used.eventLoopDelayMs[1]} ms (what a ready callback waits for the JavaScript thread)`,
      );
      const batches = phaseQuantiles(before.batches, used.batches);
      console.log(
        `  the collector's batches, received → acked: ${batches.total}, p50 ≤ ${batches.under(0.5)} ms, p99 ≤ ${batches.under(0.99)} ms`,
      );
      const appends = phaseQuantiles(before.appends, used.appends);
      console.log(
        `  bus log appends (write + fsync, every topic): ${appends.total}, p50 ≤ ${appends.under(0.5)} ms, p99 ≤ ${appends.under(0.99)} ms`,
      );
      console.log(`  warehouse writes: ${writesBetween(before, used)}`);
      console.log(`  engine's received → stored histogram: ${engineLatency(before, used)}`);
    }
    if (reader.unexplained > 0) console.log(`${reader.unexplained} transitions no change explains`);
  } finally {
    await reader?.stop();
    if (reader) {
      console.log(`(alarmHistory read ${reader.reads} times, ${reader.errors.length} failed)`);
      for (const error of new Set(reader.errors)) console.log(`  ${error}`);
    }
    for (const line of logged.slice(0, 5)) console.log(`pipeline error: ${line}`);
    for (const stream of streams.values()) await stream.session.close();
    await pipeline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Calls `send` at `perSecond` for the phase's length; it returns false when every vRouter has a
 * change under way, and the change waits for one. Returns the ms each change waited, at most.
 */
async function flipAt(perSecond: number, send: () => boolean): Promise<number> {
  const started = performance.now();
  let sent = 0;
  let waitedMs = 0;
  while (performance.now() - started < phaseMs) {
    const elapsed = performance.now() - started;
    for (const due = Math.floor((elapsed * perSecond) / 1000); sent < due && send(); sent++);
    waitedMs = Math.max(waitedMs, elapsed - (sent * 1000) / perSecond);
    await sleep(5);
  }
  return waitedMs;
}

interface Usage {
  /** CPU seconds of the pipeline process (its /metrics) and of this one. */
  pipeline: number;
  bench: number;
  /** Warehouse writes so far: each writer table's inserts, and the engine's stores; count and seconds. */
  writes: Map<string, { count: number; seconds: number }>;
  /** The engine's latency histogram so far (received → stored, per alarm changed): bound (s) → count. */
  latency: Map<number, number>;
  /** The bus log's appends so far (write and fsync, what an ack waits for), all topics: bound (s) → count. */
  appends: Map<number, number>;
  /** The collector's batches so far, received → acked: bound (s) → count. */
  batches: Map<number, number>;
  /** The pipeline's event loop delay since the previous full scrape (prom-client resets it): p50, p99 ms. */
  eventLoopDelayMs: [number, number];
}

/** What the pipeline and this process have used so far. */
async function usage(httpUrl: string): Promise<Usage> {
  const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
  const pipeline = /^fabricscope_process_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1];
  const { user, system } = process.cpuUsage();
  const writes = new Map<string, { count: number; seconds: number }>();
  const histograms =
    /^fabricscope_(writer_insert|alarms_store)_duration_seconds_(sum|count)(?:\{table="(\w+)"\})? (\S+)$/gm;
  for (const [, kind, what, table, value] of metrics.matchAll(histograms)) {
    const name = kind === 'alarms_store' ? 'alarm store' : table!;
    const write = writes.get(name) ?? { count: 0, seconds: 0 };
    if (what === 'sum') write.seconds = Number(value);
    else write.count = Number(value);
    writes.set(name, write);
  }
  const latency = buckets(metrics, /^fabricscope_alarms_latency_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm);
  const appends = buckets(
    metrics,
    /^fabricscope_bus_log_append_duration_seconds_bucket\{le="([^"]+)",topic="[^"]+"\} (\S+)$/gm,
  );
  const delayMs = (p: string) =>
    Math.round(
      Number(new RegExp(`^fabricscope_nodejs_eventloop_lag_${p}_seconds (\\S+)$`, 'm').exec(metrics)?.[1]) *
        1000,
    );
  const eventLoopDelayMs: [number, number] = [delayMs('p50'), delayMs('p99')];
  const batches = buckets(
    metrics,
    /^fabricscope_collector_batch_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm,
  );
  const bench = (user + system) / 1e6;
  return { pipeline: Number(pipeline), bench, writes, latency, appends, batches, eventLoopDelayMs };
}

/** A histogram's cumulative buckets (`pattern` captures the bound and the count), summed over its labels. */
function buckets(metrics: string, pattern: RegExp): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [, le, count] of metrics.matchAll(pattern)) {
    const bound = le === '+Inf' ? Infinity : Number(le);
    counts.set(bound, (counts.get(bound) ?? 0) + Number(count));
  }
  return counts;
}

/** A histogram's counts over a phase, by bound: the bounds `p` of them fall under (ms). */
function phaseQuantiles(before: Map<number, number>, after: Map<number, number>) {
  const counts = [...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  const within = (ms: number) => counts.find(([le]) => le * 1000 >= ms)![1];
  const under = (q: number) => counts.find(([, n]) => n >= q * total)![0] * 1000;
  return { total, within, under };
}

/**
 * The engine's own latency over a phase, from its histogram (from the collector's receipt, before
 * its ack; exact at each bound): the share within 200 ms, and the bounds p50 and p99 fall under.
 */
function engineLatency(before: Usage, after: Usage): string {
  const { total, within, under } = phaseQuantiles(before.latency, after.latency);
  if (total === 0) return 'no alarm changed';
  return `${total} alarms changed, ${((100 * within(200)) / total).toFixed(1)}% within 200 ms; p50 ≤ ${under(0.5)} ms, p99 ≤ ${under(0.99)} ms`;
}

/** The warehouse writes of a phase, busiest first: `table n × mean ms`. */
function writesBetween(before: Usage, after: Usage): string {
  const phase = [...after.writes].map(([name, w]) => {
    const was = before.writes.get(name) ?? { count: 0, seconds: 0 };
    return { name, count: w.count - was.count, seconds: w.seconds - was.seconds };
  });
  return phase
    .filter((w) => w.count > 0)
    .sort((a, b) => b.seconds - a.seconds)
    .map((w) => `${w.name} ${w.count} × ${Math.round((w.seconds * 1000) / w.count)} ms`)
    .join(', ');
}

function report(
  phase: string,
  perSecond: number,
  sent: Change[],
  waitedMs: number,
  drainedMs: number,
  stores: StoreLog,
): void {
  const print = (label: string, values: number[]): void => {
    const sorted = values.sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.at(-1)];
    console.log(`  ${label.padEnd(18)} p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (${sorted.length})`);
  };
  const shown = sent.filter((c) => c.read !== undefined);
  const achieved = Math.round((sent.length * 1000) / phaseMs);
  console.log(
    `${phase}: ${sent.length} NodeStatus changes in ${phaseMs / 1000} s (${achieved}/s of ${perSecond}/s; a change waited for a free vRouter ${Math.round(waitedMs)} ms at most), everything stored ${Math.round(drainedMs)} ms after the last; ${shown.length} shown by a transition`,
  );
  print(
    'sent → acked',
    sent.map((c) => c.acked! - c.sent),
  );
  if (shown.length === 0) return;
  print(
    'acked → evaluated',
    shown.map((c) => c.evaluated! - c.acked!),
  );
  print(
    'acked → stored',
    shown.map((c) => stores.storedAt(c.version!) - c.acked!),
  );
  print(
    'acked → read',
    shown.map((c) => c.read! - c.acked!),
  );
}

const fabric = buildFabric();
console.log(
  `fabric: ${fabric.generators.length} generators, ${fabric.uveCount} UVEs, ${fabric.flips.length} vRouters to flip`,
);
await engineAlone(fabric);
await endToEnd(fabric);
