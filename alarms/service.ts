import { setTimeout as sleep } from 'node:timers/promises';
import type { AlarmAcknowledgement } from '../common/bus/alarm-commands.js';
import type { Assignment, Bus, BusMessage, Delivery, Settling, Subscription } from '../common/bus/bus.js';
import { clientFault, errorMessage, FabricError } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import type { RuleChange } from '../common/model/alarm-rules/changes.js';
import type { AlarmRule } from '../common/model/alarm-rules/types.js';
import type { ReceiverChange } from '../common/notify/changes.js';
import { readAlarmInput, type AlarmInput } from './bus-records.js';
import type { AlarmEngine, Change, Evaluation } from './engine.js';
import { alarmMetrics } from './metrics.js';
import type { Restore } from './restore.js';
import { startRouter } from './router.js';
import type { StoredRules } from './rule-set.js';
import { appliesTo } from './rules/scope.js';
import type { AlarmStore } from './store.js';
import { splitUveKey, uveKey, type UveState } from './uve-state.js';

const log = logger('alarms');
const limited = rateLimited(log);

export interface AlarmServiceOptions {
  maxBytes: number;
  lingerMs: number;
}

/** The consumer group of the `alarms` topic: its partitions are how instances share the UVEs. */
const ENGINE_GROUP = 'alarms';
/** How long a failed store waits before it is tried again, at most. */
const MAX_RETRY_MS = 5000;
/** The longest delay setTimeout takes; a later wakeup is re-armed when this one fires early. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Steps whose stores may be under way at once before the next delivery waits for them. */
const MAX_STEPS_UNSTORED = 64;

/**
 * The engine at work. Its first stage (router.ts) republishes the collector's UVE batches and
 * withdrawals on the `alarms` topic keyed by UVE, where the API's acknowledgements are too; the
 * engine reads that topic in one consumer group, so each UVE is evaluated by the one instance that
 * owns its partition. Per partition owned, a UVE state; when partitions move, the instance drops the
 * state and alarms of those it lost and restores those it gained from the warehouse (restore.ts).
 * Rule changes come to every partition, so every instance reads the rules in force again; the groups
 * of threshold rules are UVEs too, each stepped by the instance that owns its key's partition.
 *
 * One step at a time (deliveries, timers and reassignments queue behind each other). The engine takes
 * a step's transitions at once, so the next step builds on them, while their store goes on behind the
 * stores of the steps before (in order; the steps taken during one store share the next): a delivery
 * is committed only once its transitions are stored, so a crash loses no transition the bus would not
 * deliver again, and the next delivery is evaluated while the warehouse writes this one. A failed
 * store is tried again in place, not by redelivery: the UVE state has taken the delivery already, and
 * a withdrawal applied twice would find nothing left to evaluate.
 */
export class AlarmService {
  private queue: Promise<unknown> = Promise.resolve();
  /** The stores of the steps taken, in order: each resolves once its steps and all before are stored. */
  private storing: Promise<void> = Promise.resolve();
  /** The store that has not started yet, and the changes (of how many steps) it will write. */
  private nextStore: Promise<void> | undefined;
  private unstored: Change[] = [];
  private gatheredSteps = 0;
  /** Steps taken whose changes are not stored yet, those being written included. */
  private unstoredSteps = 0;
  private readonly subscriptions: Subscription[] = [];
  /** Partition → the state of its UVEs, for the partitions this instance owns. */
  private readonly states = new Map<number, UveState>();
  /** The member that owns `states`: another one (a new member of the group) owns none of them. */
  private member: string | undefined;
  /** The partition of a UVE key, as the last assignment says. */
  private partitionOf: Assignment['partitionOf'] = () => -1;
  private timer: NodeJS.Timeout | undefined;
  private wakeAt: number | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly engine: AlarmEngine,
    private readonly store: AlarmStore,
    private readonly restore: Restore,
    private readonly options: AlarmServiceOptions,
    private readonly rules: StoredRules,
    /** The notifier's receivers (notify/notifier.ts): changed by the API's commands, read again on a gain. */
    private readonly receivers?: {
      receiverChanged(change: ReceiverChange): Promise<string>;
      reload(): Promise<void>;
    },
  ) {}

  /** Follows the bus; resolves once the partitions first assigned are restored. */
  async start(bus: Bus): Promise<void> {
    const options = { maxBytes: this.options.maxBytes, lingerMs: this.options.lingerMs };
    this.subscriptions.push(
      await bus.subscribe('alarms', ENGINE_GROUP, (m, d) => this.serial(() => this.onInput(m, d)), {
        ...options,
        // Restoring retries until done or stopped: what fails here is a fault of ours, logged.
        onAssignment: (assignment) =>
          void this.serial(() => this.reassign(assignment)).catch((err: unknown) =>
            log.error({ err: errorMessage(err) }, 'alarms partitions not taken'),
          ),
      }),
    );
    // The router passes each delivery on at once: lingering there too only delayed what the engine's
    // own consumer gathers (ack → evaluated p50 16 ms against 37–41 at 200 changes/s, bench/alarms.ts).
    this.subscriptions.push(...(await startRouter(bus, { ...options, lingerMs: 0 })));
    await this.queue;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) await subscription.close();
    await this.queue;
    await this.storing.catch(() => undefined);
  }

  /**
   * A step computed off the bus (thresholds.ts), run after every step queued before it; of its
   * changes, those of the UVEs this instance owns are settled. Every instance computes it, and each
   * group's alarm is stepped by one: the owner of its key's partition, where its acknowledgements go.
   */
  submit(step: () => Change[]): Promise<void> {
    return this.serial(() => this.settle(step().filter((c) => this.owns(uveKey(c.uveType, c.uveName)))));
  }

  private owns(key: string): boolean {
    return this.states.has(this.partitionOf(key));
  }

  private get closing(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * Takes the partitions the group now gives this instance: the UVEs of those it no longer owns are
   * let go (their new owner restores them), those it gains are restored and evaluated once (what
   * happened while no instance owned them, or while the engine was down).
   */
  private async reassign({ member, partitions, partitionOf }: Assignment): Promise<void> {
    // What this instance took is stored before it lets UVEs go or reads the warehouse for others.
    await this.storing.catch(() => undefined);
    const kept = new Set(member === this.member ? partitions.filter((p) => this.states.has(p)) : []);
    for (const p of this.states.keys()) if (!kept.has(p)) this.states.delete(p);
    this.engine.release((key) => !kept.has(partitionOf(key)));
    this.member = member;
    this.partitionOf = partitionOf;
    const gained = new Set(partitions.filter((p) => !kept.has(p)));
    log.info({ partitions, gained: [...gained] }, 'alarms topic partitions assigned');
    if (gained.size === 0) return this.schedule();
    const restored = await this.retried('restore', () => this.restored(gained, partitionOf));
    if (!restored) return;
    this.engine.restore(restored.alarms);
    for (const [p, state] of restored.states) this.states.set(p, state);
    // Rule changes reach only instances that own partitions: one that owned none may have missed some.
    const evaluations = this.covered(this.engine.useRules(restored.rules));
    for (const [key, evaluation] of restored.evaluations) evaluations.set(key, evaluation);
    await this.settle(this.engine.evaluate(evaluations, Date.now()));
    log.info(
      { partitions: [...gained], uves: restored.evaluations.size },
      'restored and evaluated the UVEs gained',
    );
  }

  /** What the warehouse holds of the partitions gained, once the writer has stored what they need. */
  private async restored(gained: ReadonlySet<number>, partitionOf: Assignment['partitionOf']) {
    await this.restore.writerCaughtUp(this.stopping.signal);
    const [snapshot, held, rules] = await Promise.all([
      this.restore.uves(),
      this.restore.alarms(),
      this.rules.load(),
      // As rules: an instance that owned no partition heard of no receiver change.
      this.receivers?.reload(),
    ]);
    const alarms = held.filter((alarm) => gained.has(partitionOf(uveKey(alarm.uveType, alarm.uveName))));
    const states = new Map<number, UveState>();
    const evaluations = new Map<string, Evaluation>();
    for (const p of gained) {
      const { state, keys } = snapshot.stateOf((key) => partitionOf(key) === p);
      states.set(p, state);
      for (const key of keys) evaluations.set(key, { uve: state.aggregated(key) });
    }
    // An alarm held of a UVE with no live part left: evaluated as the empty UVE (or its rule gone).
    for (const { uveType, uveName } of alarms) {
      const key = uveKey(uveType, uveName);
      if (!evaluations.has(key)) evaluations.set(key, { uve: states.get(partitionOf(key))!.aggregated(key) });
    }
    return { alarms, states, evaluations, rules };
  }

  /** Runs `work` until it succeeds, backing off; undefined once the service stops. */
  private async retried<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let wait = 100; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
      try {
        return await work();
      } catch (err) {
        if (this.closing) return undefined;
        limited.warn(what, { err: errorMessage(err), retryInMs: wait }, `alarms: ${what} failed`);
        await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /**
   * A delivery of one partition, in order: UVE changes and withdrawals applied to its state and the
   * UVEs they touched evaluated together; an acknowledgement after what came before it.
   */
  private async onInput(messages: BusMessage[], { partition }: Delivery): Promise<Settling> {
    const state = this.states.get(partition);
    if (!state)
      throw new FabricError('INTERNAL', `alarms delivery from partition ${partition}, not assigned`);
    const touched = new Map<string, Evaluation | undefined>();
    /** UVE key → when the collector received the latest change of it applied (µs). */
    const received = new Map<string, number>();
    for (const message of messages) {
      const input = this.read(message);
      if (input?.kind === 'uves') {
        for (const change of input.changes) {
          const applied = state.apply(change);
          if (applied === 'ignored') continue;
          const key = uveKey(change.type, change.name);
          touched.set(key, applied === 'gone' ? 'gone' : undefined);
          received.set(key, Math.max(received.get(key) ?? 0, change.part.time));
        }
      } else if (input?.kind === 'withdrawals') {
        for (const { generator, time } of input.withdrawals) {
          for (const key of state.withdraw(generator, time)) touched.set(key, undefined);
        }
      } else if (input?.kind === 'command') {
        this.evaluate(state, touched, received);
        touched.clear();
        if (input.command.kind === 'acknowledge') await this.acknowledge(input.command);
        else if (input.command.kind === 'rule') await this.ruleChanged(input.command);
        else await this.receiverChanged(input.command);
      }
    }
    this.evaluate(state, touched, received);
    // Stores run behind each other: the newest resolves once every one before it has.
    const settled = this.storing;
    if (this.unstoredSteps > MAX_STEPS_UNSTORED) await settled;
    return { settled };
  }

  /**
   * One the engine refuses (not raised, changed since) is counted and logged: the API checked it
   * before sending, so the alarm changed in between, which the API then tells its caller.
   */
  private async acknowledge({ uveType, uveName, alarmType, token }: AlarmAcknowledgement): Promise<void> {
    try {
      await this.settle([this.engine.acknowledge(uveType, uveName, alarmType, token, Date.now())]);
      alarmMetrics.commands.inc({ command: 'acknowledge', outcome: 'applied' });
    } catch (err) {
      const refusal = clientFault(err);
      if (!refusal) throw err;
      alarmMetrics.commands.inc({ command: 'acknowledge', outcome: 'refused' });
      limited.warn('acknowledge', { err: refusal.message }, 'refused an acknowledgement');
    }
  }

  /**
   * A rule change, which comes to every partition: stored (rule-set.ts) unless stored already — by
   * this instance from another partition, by another instance, or before a redelivery — then the
   * rules in force read again and every UVE held or alarmed that a changed rule covers, before or
   * after, evaluated again, which clears at once the alarms of a rule disabled or deleted. Taken up
   * again when refused or repeated: what is stored is what runs.
   */
  private async ruleChanged(change: RuleChange): Promise<void> {
    const outcome = await this.rules.apply(change);
    alarmMetrics.commands.inc({ command: change.operation, outcome });
    const changed = this.engine.useRules(await this.rules.load());
    await this.settle(this.engine.evaluate(this.covered(changed), Date.now()));
  }

  /**
   * A receiver change, which comes to every partition as a rule change does: stored unless stored
   * already, then the receivers read again (their deliveries from the next step on, their queues now).
   * A service without a notifier (a test's) counts it refused.
   */
  private async receiverChanged(change: ReceiverChange): Promise<void> {
    // The steps taken before it are notified to the receivers as they were (stores write the outbox).
    await this.storing.catch(() => undefined);
    const outcome = (await this.receivers?.receiverChanged(change)) ?? 'refused';
    alarmMetrics.commands.inc({ command: `receiver-${change.operation}`, outcome });
  }

  /** The UVEs of the partitions owned, held or alarmed, that one of `rules` covers. */
  private covered(rules: readonly AlarmRule[]): Map<string, Evaluation> {
    const evaluations = new Map<string, Evaluation>();
    if (rules.length === 0) return evaluations;
    const keys = new Set([
      ...[...this.states.values()].flatMap((s) => [...s.keys()]),
      ...this.engine.heldUves(),
    ]);
    for (const key of keys) {
      const { type, name } = splitUveKey(key);
      const state = this.states.get(this.partitionOf(key));
      if (state && rules.some((rule) => appliesTo(rule, type, name)))
        evaluations.set(key, { uve: state.aggregated(key) });
    }
    return evaluations;
  }

  /**
   * Each UVE touched, over its value once the whole delivery is applied (unless gone). Once stored,
   * each alarm changed observes its latency from its UVE's change received (`received`, µs).
   */
  private evaluate(
    state: UveState,
    touched: ReadonlyMap<string, Evaluation | undefined>,
    received: ReadonlyMap<string, number>,
  ): void {
    if (touched.size === 0) return;
    const evaluations = new Map<string, Evaluation>();
    for (const [key, gone] of touched) evaluations.set(key, gone ?? { uve: state.aggregated(key) });
    const changes = this.engine.evaluate(evaluations, Date.now());
    // Not awaited: the delivery waits for its stores through the Settling it answers the bus.
    this.settle(changes)
      .then(() => {
        const storedUs = Date.now() * 1000;
        for (const change of changes) {
          const receivedUs = received.get(uveKey(change.uveType, change.uveName));
          if (receivedUs !== undefined && change.transitions.length > 0)
            alarmMetrics.latencySeconds.observe((storedUs - receivedUs) / 1e6);
        }
      })
      .catch(() => undefined);
  }

  /**
   * A message the engine cannot read is logged, counted and skipped: the collector checked every
   * record, so it can only be a fault of ours, and stalling the topic would stall the collector too.
   */
  private read(message: BusMessage): AlarmInput | undefined {
    try {
      return readAlarmInput(message);
    } catch (err) {
      alarmMetrics.skipped.inc({ topic: 'alarms' });
      limited.error(
        'alarms',
        { topic: 'alarms', key: message.key, err: errorMessage(err) },
        'skipped an unreadable message',
      );
      return undefined;
    }
  }

  /**
   * The engine takes the changes now; their transitions are stored behind the stores before them
   * (retrying until stored or stopped). Resolves once stored, rejects when the service stops first.
   */
  private settle(changes: Change[]): Promise<void> {
    this.engine.apply(changes);
    this.schedule();
    this.unstored.push(...changes);
    this.gatheredSteps++;
    this.unstoredSteps++;
    this.nextStore ??= this.queueStore();
    return this.nextStore;
  }

  /**
   * One store behind the one under way, of every step taken until it starts (group commit): each
   * insert costs the engine about as much whatever its size, so steps taken while the warehouse
   * writes one share the next insert instead of queueing an insert each.
   */
  private queueStore(): Promise<void> {
    const stored = this.storing.then(async () => {
      this.nextStore = undefined;
      const [changes, steps] = [this.unstored, this.gatheredSteps];
      this.unstored = [];
      this.gatheredSteps = 0;
      try {
        const done = await this.retried('store', async () => {
          await this.store.store(changes);
          return true;
        });
        if (!done)
          throw new FabricError('UNAVAILABLE', 'alarm transitions not stored: the engine is stopping');
      } finally {
        this.unstoredSteps -= steps;
      }
      for (const change of changes) {
        for (const transition of change.transitions) alarmMetrics.transitions.inc({ kind: transition.kind });
      }
    });
    this.storing = stored;
    return stored;
  }

  /** Arms the timer for the engine's next wakeup. */
  private schedule(): void {
    const next = this.engine.nextWakeup();
    if (next === this.wakeAt || this.closing) return;
    clearTimeout(this.timer);
    this.wakeAt = next;
    if (next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.wakeAt = undefined;
        this.serial(() => this.settle(this.engine.tick(Date.now()))).catch((err: unknown) =>
          log.error({ err: errorMessage(err) }, 'alarm timers failed'),
        );
      },
      Math.min(Math.max(0, next - Date.now()), MAX_TIMER_MS),
    );
  }

  /** Runs `step` after every step queued before it. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
