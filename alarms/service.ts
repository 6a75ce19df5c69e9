import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, BusMessage, Subscription } from '../common/bus/bus.js';
import { readAlarmCommand, type AlarmAcknowledgement } from '../common/bus/alarm-commands.js';
import { clientFault, errorMessage } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import type { RuleChange } from '../common/model/alarm-rules/changes.js';
import { uveChangesOf, withdrawalsOf } from './bus-records.js';
import type { AlarmEngine, Change, Evaluation } from './engine.js';
import { alarmMetrics } from './metrics.js';
import type { StoredRules } from './rule-set.js';
import type { AlarmStore } from './store.js';
import { appliesTo } from './rules/scope.js';
import { splitUveKey, uveKey, type UveState } from './uve-state.js';

const log = logger('alarms');
const limited = rateLimited(log);

export interface AlarmServiceOptions {
  maxBytes: number;
  lingerMs: number;
}

/** How long a failed store waits before it is tried again, at most. */
const MAX_RETRY_MS = 5000;
/** The longest delay setTimeout takes; a later wakeup is re-armed when this one fires early. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The engine at work: UVE and generator deliveries from the bus, each applied to the UVE state and
 * the UVEs it touched evaluated, timers fired when the lifecycle says, acknowledgements from the
 * `alarms` topic applied. One step at a time (deliveries
 * of the two topics and timers queue behind each other), and each step's transitions are stored
 * before the engine takes them and before the delivery is committed: a crash loses no transition
 * the bus would not deliver again.
 *
 * A failed store is tried again in place, not by redelivery: the UVE state has taken the delivery
 * already, and a withdrawal applied twice would find nothing left to evaluate.
 */
export class AlarmService {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly subscriptions: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private wakeAt: number | undefined;
  private closing = false;

  constructor(
    private readonly engine: AlarmEngine,
    private readonly uves: UveState,
    private readonly store: AlarmStore,
    private readonly options: AlarmServiceOptions,
    private readonly rules: StoredRules,
  ) {}

  /** Evaluates `first` (what the warehouse held at start), then follows the bus. */
  async start(bus: Bus, first: Iterable<string>): Promise<void> {
    const evaluations = new Map<string, Evaluation>();
    for (const key of first) evaluations.set(key, { uve: this.uves.aggregated(key) });
    await this.serial(() => this.settle(this.engine.evaluate(evaluations, Date.now())));
    log.info({ uves: evaluations.size }, 'evaluated the UVEs the warehouse holds');
    const options = { maxBytes: this.options.maxBytes, lingerMs: this.options.lingerMs };
    // A group per topic (as the writer's): one group over two topics would mix their partitions.
    this.subscriptions.push(
      await bus.subscribe('uves', 'alarms-uves', (m) => this.serial(() => this.onUves(m)), options),
      await bus.subscribe(
        'generators',
        'alarms-generators',
        (m) => this.serial(() => this.onGenerators(m)),
        options,
      ),
      await bus.subscribe('alarms', 'alarms-commands', (m) => this.serial(() => this.onCommands(m)), options),
    );
  }

  async stop(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    for (const subscription of this.subscriptions) await subscription.close();
    await this.queue.catch(() => undefined);
  }

  /** A step computed off the bus (thresholds.ts), run after every step queued before it and settled alike. */
  submit(step: () => Change[]): Promise<void> {
    return this.serial(() => this.settle(step()));
  }

  private async onUves(messages: BusMessage[]): Promise<void> {
    const touched = new Map<string, Evaluation | undefined>();
    for (const message of messages) {
      for (const change of this.read('uves', message, uveChangesOf)) {
        const applied = this.uves.apply(change);
        if (applied === 'ignored') continue;
        touched.set(uveKey(change.type, change.name), applied === 'gone' ? 'gone' : undefined);
      }
    }
    await this.evaluate(touched);
  }

  private async onGenerators(messages: BusMessage[]): Promise<void> {
    const touched = new Map<string, Evaluation | undefined>();
    for (const message of messages) {
      for (const { generator, time } of this.read('generators', message, withdrawalsOf)) {
        for (const key of this.uves.withdraw(generator, time)) touched.set(key, undefined);
      }
    }
    await this.evaluate(touched);
  }

  /** Commands one at a time: two acknowledgements of one alarm in a delivery must see each other. */
  private async onCommands(messages: BusMessage[]): Promise<void> {
    for (const message of messages) {
      for (const command of this.read('alarms', message, (m) => [readAlarmCommand(m)])) {
        if (command.kind === 'acknowledge') await this.acknowledge(command);
        else await this.ruleChanged(command);
      }
    }
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
   * A rule change: stored (rule-set.ts), then the rules in force read again and every UVE held or
   * alarmed that a changed rule covers, before or after, evaluated again, which clears at once the
   * alarms of a rule disabled or deleted. Taken up again when refused or repeated: what is stored
   * is what runs.
   */
  private async ruleChanged(change: RuleChange): Promise<void> {
    const outcome = await this.rules.apply(change);
    alarmMetrics.commands.inc({ command: change.operation, outcome });
    const changed = this.engine.useRules(await this.rules.load());
    const evaluations = new Map<string, Evaluation>();
    for (const key of new Set([...this.uves.keys(), ...this.engine.heldUves()])) {
      const { type, name } = splitUveKey(key);
      if (changed.some((rule) => appliesTo(rule, type, name)))
        evaluations.set(key, { uve: this.uves.aggregated(key) });
    }
    await this.settle(this.engine.evaluate(evaluations, Date.now()));
  }

  /** Each UVE touched, over its value once the whole delivery is applied (unless gone). */
  private async evaluate(touched: ReadonlyMap<string, Evaluation | undefined>): Promise<void> {
    if (touched.size === 0) return;
    const evaluations = new Map<string, Evaluation>();
    for (const [key, gone] of touched) evaluations.set(key, gone ?? { uve: this.uves.aggregated(key) });
    await this.settle(this.engine.evaluate(evaluations, Date.now()));
  }

  /**
   * A message the engine cannot read is logged, counted and skipped: the collector checked every
   * record, so it can only be a fault of ours, and stalling the topic would stall the collector too.
   */
  private read<T>(topic: string, message: BusMessage, decode: (m: BusMessage) => T[]): T[] {
    try {
      return decode(message);
    } catch (err) {
      alarmMetrics.skipped.inc({ topic });
      limited.error(
        topic,
        { topic, key: message.key, err: errorMessage(err) },
        'skipped an unreadable message',
      );
      return [];
    }
  }

  /** Stores the changes' transitions (retrying until stored or stopped), then the engine takes them. */
  private async settle(changes: Change[]): Promise<void> {
    for (let wait = 100; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
      try {
        await this.store.store(changes);
        break;
      } catch (err) {
        if (this.closing) throw err;
        limited.warn(
          'store',
          { err: errorMessage(err), retryInMs: wait },
          'could not store alarm transitions',
        );
        await sleep(wait);
      }
    }
    this.engine.apply(changes);
    for (const change of changes) {
      for (const transition of change.transitions) alarmMetrics.transitions.inc({ kind: transition.kind });
    }
    this.schedule();
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
