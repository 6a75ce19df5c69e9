import {
  planEvents,
  scheduleEvents,
  type EventKind,
  type EventSpec,
  type EventStep,
} from '../fabric/events.js';
import { buildFlowPools, type FlowPools } from '../fabric/flows/templates.js';
import { HeldState } from '../sender/held-state.js';
import { buildInterfaceStats, interfaceRates, type InterfaceRate } from '../fabric/state/interface-stats.js';
import { Outbox, type StateBatch } from '../sender/outbox.js';
import { buildFabricState } from '../fabric/state/fabric-state.js';
import type { Topology } from '../fabric/topology/types.js';
import { uveContext, type UveContext } from '../fabric/state/uves/vrouter-agent.js';

/**
 * Plays the fabric's state onto the generators' outboxes during a run: the initial state (UVEs and
 * routes) first, and once all of it has its final acks, interface-stats samples and events on their
 * timers. Flows wait for that gate, so that every flow finds its workloads' identity already stored.
 */
export interface InterfaceStatsPlan {
  /** Samples per interface; absent = sample until the run ends. */
  samples?: number;
  intervalMs: number;
}

export interface StatePlayerOptions {
  topology: Topology;
  /** The topology's flow pools, when the caller has them already (interface rates derive from them). */
  pools?: FlowPools;
  /** Publish the UVEs and routes at start. */
  state: boolean;
  interfaceStats?: InterfaceStatsPlan;
  events: readonly EventSpec[];
  /** Something was queued for `generator`, or the gate opened (no generator), or an event ended. */
  onChange: (generator?: string) => void;
  /** Close a generator's stream for `ms`. */
  disconnect: (generator: string, ms: number) => void;
  nowUs?: () => number;
}

export interface PlayedEvent {
  kind: EventKind;
  target: string;
  /** When it started, ms after the state was published; -1 while not yet. */
  startedMs: number;
  completed: boolean;
}

export interface PlayerReport {
  interfaceStatsSamples: number;
  events: PlayedEvent[];
}

/** At most this many UVEs, routes or interface samples per batch. */
export const STATE_BATCH_RECORDS = 500;

export class StatePlayer {
  private readonly outboxes = new Map<string, Outbox>();
  private readonly held = new Map<string, HeldState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly topo: Topology;
  private readonly rates: InterfaceRate[];
  private readonly ctx: UveContext;
  private readonly nowUs: () => number;
  private readonly restartedAt: Record<string, number> = {};
  private readonly played: PlayedEvent[];
  /** When the initial state was published: the simulated processes' start times count from it. */
  private publishedUs: number | undefined;
  private open = false;
  private stopped = false;
  private samples = 0;
  private stepsLeft = 0;

  constructor(private readonly options: StatePlayerOptions) {
    this.topo = options.topology;
    this.nowUs = options.nowUs ?? (() => Date.now() * 1000);
    const active = options.state || options.interfaceStats !== undefined || options.events.length > 0;
    this.rates = active ? interfaceRates(this.topo, options.pools ?? buildFlowPools(this.topo)) : [];
    this.ctx = uveContext(this.topo, this.rates);
    this.played = scheduleEvents(this.topo, options.events).map((e) => ({
      kind: e.kind,
      target: e.target,
      startedMs: -1,
      completed: false,
    }));
    for (const generator of this.generators()) {
      this.outboxes.set(generator, new Outbox());
      this.held.set(generator, new HeldState());
    }
  }

  /** Generators with something to publish besides flows: each needs a stream even without flows. */
  generators(): Set<string> {
    const out = new Set<string>();
    const { state, interfaceStats, events } = this.options;
    if (state) {
      for (const nodes of [this.topo.vrouters, this.topo.controlNodes, this.topo.configNodes])
        nodes.forEach((n) => out.add(n.generator));
    }
    if (interfaceStats) this.topo.vrouters.forEach((v) => out.add(v.generator));
    if (events.length > 0) {
      for (const e of planEvents(this.topo, events, 0, this.ctx))
        e.steps.forEach((s) => out.add(s.generator));
    }
    return out;
  }

  /** Queues the initial state; without it, the gate opens at once. */
  start(): void {
    if (this.options.state) {
      const now = this.nowUs();
      this.publishedUs = now;
      for (const g of buildFabricState(this.topo, now, this.ctx)) {
        const outbox = this.outboxes.get(g.generator);
        outbox?.push('uves', g.uves, true);
        outbox?.push('routes', g.routes, true);
        this.held.get(g.generator)?.hold(g.uves, g.routes);
      }
    }
    this.checkGate();
  }

  /** A generator's stream came back: it publishes all it holds again, as TF generators resync. */
  resync(generator: string): void {
    const held = this.held.get(generator)?.snapshot();
    if (!held || this.stopped) return;
    const outbox = this.outboxes.get(generator);
    outbox?.push('uves', held.uves);
    outbox?.push('routes', held.routes);
    this.options.onChange(generator);
  }

  next(generator: string, seq: number, maxRecords: number): StateBatch | undefined {
    return this.outboxes.get(generator)?.next(seq, Math.min(maxRecords, STATE_BATCH_RECORDS));
  }

  settle(generator: string, batch: StateBatch): void {
    this.outboxes.get(generator)?.settle(batch);
    if (batch.initial) this.checkGate();
  }

  /** Flows may go: the initial state has its final acks. */
  get flowsOpen(): boolean {
    return this.open;
  }

  /** Nothing more to play or to wait for (open-ended sampling does not hold the end back). */
  get finished(): boolean {
    const target = this.options.interfaceStats?.samples ?? 0;
    return (
      this.open &&
      this.samples >= target &&
      this.stepsLeft === 0 &&
      [...this.outboxes.values()].every((o) => o.idle)
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  report(): PlayerReport {
    return { interfaceStatsSamples: this.samples, events: this.played.map((e) => ({ ...e })) };
  }

  private checkGate(): void {
    if (this.open || this.stopped) return;
    if (![...this.outboxes.values()].every((o) => o.initialSettled)) return;
    this.open = true;
    this.startSampling();
    this.startEvents();
    this.options.onChange();
  }

  private startSampling(): void {
    const plan = this.options.interfaceStats;
    if (!plan || plan.samples === 0) return;
    const tick = (): void => {
      if (this.stopped) return;
      this.sample();
      if (plan.samples === undefined || this.samples < plan.samples) this.after(plan.intervalMs, tick);
    };
    tick();
  }

  /** One sample of every interface, each vRouter's on its own stream. */
  private sample(): void {
    const n = this.samples++;
    const now = this.nowUs();
    for (const vr of this.topo.vrouters) {
      const options = { sample: n, nowUs: now, restartedAt: this.restartedAt, vrouters: [vr.name] };
      const records = buildInterfaceStats(this.topo, options, this.rates);
      this.outboxes.get(vr.generator)?.push('interface_stats', records);
      this.options.onChange(vr.generator);
    }
  }

  private startEvents(): void {
    if (this.options.events.length === 0) return;
    const now = this.nowUs();
    const planned = planEvents(this.topo, this.options.events, now, this.ctx, this.publishedUs ?? now);
    planned.forEach((event, i) => {
      const played = this.played[i];
      event.steps.forEach((step, s) => {
        this.stepsLeft++;
        this.after(step.atMs, () => {
          if (played && s === 0) played.startedMs = event.atMs;
          this.play(step);
          if (played && s === event.steps.length - 1) played.completed = true;
          this.stepsLeft--;
          this.options.onChange(step.generator);
        });
      });
    });
  }

  private play(step: EventStep): void {
    if (step.disconnectMs !== undefined) this.options.disconnect(step.generator, step.disconnectMs);
    // Samples from here on count from one interval again, as after a restart of the agent.
    if (step.resetCounters !== undefined) this.restartedAt[step.resetCounters] = this.samples;
    const outbox = this.outboxes.get(step.generator);
    outbox?.push('uves', step.uves);
    outbox?.push('routes', step.routes);
    this.held.get(step.generator)?.hold(step.uves, step.routes);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }
}
