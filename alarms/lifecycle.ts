import { createHash } from 'node:crypto';
import { FabricError } from '../common/errors.js';
import type { AlarmRules, AlarmTimers, Operation } from '../common/model/alarm-rules/types.js';

/**
 * The life of one alarm (one rule over one UVE), after TF alarm-gen's `AlarmStateMachine`
 * (alarmgen.py): Idle → Soak_Active → Active → Soak_Idle → Idle. A rule's ActiveTimer is how long
 * its condition must hold before the alarm is raised (Soak_Active), its IdleTimer how long it must be
 * gone before the alarm clears (Soak_Idle); with no timer the step is immediate. An alarm is shown
 * while Active or Soak_Idle.
 *
 * A pure state machine: each function takes the status, an input and the time, and returns the next
 * status with the transitions it made; nothing reads a clock or keeps state, so the caller decides
 * when time passes (`nextWakeup`) and the status is plain data to store and restore.
 *
 * Flapping (TF's FreqExceededCheck: FreqCheck_Times raises within FreqCheck_Seconds): TF raises such
 * an alarm at once, without soaking. Here a flapping alarm is also held Active while it flaps —
 * clearing does not withdraw it — and marked, until no more than FreqCheck_Times raises remain within
 * the window; then it clears if its condition is gone.
 *
 * Content: what the alarm reports (its matches). When it changes the token changes and an
 * acknowledgement is void, as TF replaces the alarm and its `ack` with it. As in TF
 * (`is_new_alarm_same`), a condition that orders (`<`, `<=`, `>`, `>=`, `range`) changes the content
 * only when its variables change, not with every new value past the threshold.
 */

export type AlarmState = 'Idle' | 'Soak_Active' | 'Active' | 'Soak_Idle';

export interface AlarmStatus {
  /** The alarm's identity, e.g. `vrouter:compute-1 system-defined-process-connectivity`. */
  id: string;
  state: AlarmState;
  /** Whether the latest evaluation raised it. */
  matching: boolean;
  /** What it reports: the matches of the evaluation that last changed them; null when Idle. */
  rules: AlarmRules | null;
  /** Changes with the content, never otherwise; an acknowledgement names it. Empty when Idle. */
  token: string;
  /** How many times the content has changed, so that a content seen before gets a new token. */
  revision: number;
  /** When the content last changed (ms), TF's alarm timestamp. */
  since: number;
  acknowledged: boolean;
  /** When the soak of Soak_Active or Soak_Idle ends (ms). */
  deadline?: number;
  /** When the condition began to hold, within the flap window (ms); kept only with a flap check. */
  raises: number[];
  flapping: boolean;
}

export type TransitionKind = 'state' | 'updated' | 'acknowledged' | 'flapping' | 'steady';

/** One transition: a state change, new content, an acknowledgement, flapping begun or ended. */
export interface Transition {
  at: number;
  kind: TransitionKind;
  from: AlarmState;
  to: AlarmState;
  /** The token after the transition. */
  token: string;
}

export interface Step {
  status: AlarmStatus;
  transitions: Transition[];
}

export function idleStatus(id: string): AlarmStatus {
  return {
    id,
    state: 'Idle',
    matching: false,
    rules: null,
    token: '',
    revision: 0,
    since: 0,
    acknowledged: false,
    raises: [],
    flapping: false,
  };
}

/** Whether the alarm is shown (TF `get_uai`: Active or Soak_Idle). */
export const isRaised = (status: AlarmStatus): boolean =>
  status.state === 'Active' || status.state === 'Soak_Idle';

/** Applies one evaluation of the rule: its matches, or null when it did not raise the alarm. */
export function evaluated(
  current: AlarmStatus,
  result: AlarmRules | null,
  now: number,
  timers: AlarmTimers,
): Step {
  const step = begin(pruned(current, now, timers));
  if (result === null) clear(step, now, timers);
  else raise(step, result, now, timers);
  return step;
}

/** Fires what is due at `now`: an ended soak, the end of flapping. */
export function ticked(current: AlarmStatus, now: number, timers: AlarmTimers): Step {
  const step = begin(pruned(current, now, timers));
  const { deadline, state } = step.status;
  if (deadline !== undefined && now >= deadline) {
    if (state === 'Soak_Active') move(step, 'Active', deadline);
    if (state === 'Soak_Idle') toIdle(step, deadline);
  }
  const flap = timers.freqCheck;
  if (step.status.flapping && (flap === undefined || step.status.raises.length <= flap.times)) {
    step.status.flapping = false;
    record(step, 'steady', now);
    if (!step.status.matching) clear(step, now, timers);
  }
  return step;
}

/** Acknowledges the alarm as shown under `token`; refused if it is not shown or has changed since. */
export function acknowledged(current: AlarmStatus, token: string, now: number): Step {
  if (!isRaised(current)) throw new FabricError('NOT_FOUND', `alarm ${current.id} is not raised`);
  if (token !== current.token) {
    throw new FabricError(
      'FAILED_PRECONDITION',
      `alarm ${current.id} has changed since token ${token}; acknowledge ${current.token}`,
    );
  }
  const step = begin(current);
  if (!current.acknowledged) {
    step.status.acknowledged = true;
    record(step, 'acknowledged', now);
  }
  return step;
}

/** When `ticked` should next be called, if ever: a soak ends, or a raise leaves the flap window. */
export function nextWakeup(status: AlarmStatus, timers: AlarmTimers): number | undefined {
  const flap = timers.freqCheck;
  const oldest = status.raises[0];
  const window = flap && oldest !== undefined ? oldest + flap.seconds * 1000 : undefined;
  const times = [status.deadline, window].filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Whether the status says nothing an idle one would not: the caller may forget it. */
export const isForgettable = (status: AlarmStatus): boolean =>
  status.state === 'Idle' && status.raises.length === 0;

function raise(step: Step, result: AlarmRules, now: number, timers: AlarmTimers): void {
  const status = step.status;
  const rising = !status.matching;
  status.matching = true;
  if (status.rules === null || contentKey(status.rules) !== contentKey(result)) renew(step, result, now);
  if (rising && timers.freqCheck) {
    status.raises.push(now);
    if (!status.flapping && status.raises.length > timers.freqCheck.times) {
      status.flapping = true;
      record(step, 'flapping', now);
    }
  }
  if (status.state === 'Idle' && timers.activeTimer > 0 && !status.flapping) {
    move(step, 'Soak_Active', now, now + timers.activeTimer * 1000);
  } else if (status.state !== 'Active' && status.state !== 'Soak_Active') {
    move(step, 'Active', now);
  }
}

function clear(step: Step, now: number, timers: AlarmTimers): void {
  const status = step.status;
  status.matching = false;
  if (
    status.state === 'Soak_Active' ||
    (status.state === 'Active' && !status.flapping && timers.idleTimer === 0)
  ) {
    toIdle(step, now);
  } else if (status.state === 'Active' && !status.flapping) {
    move(step, 'Soak_Idle', now, now + timers.idleTimer * 1000);
  }
}

/** New content: a new token, and any acknowledgement of the old one void. */
function renew(step: Step, result: AlarmRules, now: number): void {
  const status = step.status;
  const first = status.rules === null;
  status.rules = result;
  status.revision += 1;
  status.since = now;
  status.acknowledged = false;
  status.token = tokenOf(status.id, status.revision, now, contentKey(result));
  if (!first) record(step, 'updated', now);
}

function toIdle(step: Step, at: number): void {
  move(step, 'Idle', at);
  Object.assign(step.status, { rules: null, token: '', acknowledged: false });
}

function move(step: Step, to: AlarmState, at: number, deadline?: number): void {
  const from = step.status.state;
  step.status.state = to;
  if (deadline === undefined) delete step.status.deadline;
  else step.status.deadline = deadline;
  step.transitions.push({ at, kind: 'state', from, to, token: step.status.token });
}

function record(step: Step, kind: TransitionKind, at: number): void {
  const { state, token } = step.status;
  step.transitions.push({ at, kind, from: state, to: state, token });
}

// A copy to change: the caller's status is never touched.
function begin(status: AlarmStatus): Step {
  return { status: { ...status, raises: [...status.raises] }, transitions: [] };
}

function pruned(status: AlarmStatus, now: number, timers: AlarmTimers): AlarmStatus {
  const flap = timers.freqCheck;
  const raises = flap ? status.raises.filter((t) => t > now - flap.seconds * 1000) : [];
  return raises.length === status.raises.length ? status : { ...status, raises };
}

const ORDERING: ReadonlySet<Operation> = new Set(['<', '<=', '>', '>=', 'range']);

/** The content as far as it matters: what matched, but for an ordering condition only its variables. */
function contentKey(rules: AlarmRules): string {
  return JSON.stringify(
    rules.or_list.map(({ and_list }) =>
      and_list.map(({ condition, match }) => [
        condition,
        ORDERING.has(condition.operation) ? match.map((m) => m.json_variables) : match,
      ]),
    ),
  );
}

function tokenOf(id: string, revision: number, since: number, content: string): string {
  return createHash('sha256')
    .update(`${id}\n${revision}\n${since}\n${content}`)
    .digest('base64url')
    .slice(0, 22);
}
