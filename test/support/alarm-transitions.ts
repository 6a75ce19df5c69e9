import assert from 'node:assert/strict';
import type { Bus } from '../../common/bus/bus.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import { readUntil } from '../../harness/wait.js';

const SYSTEM = 'default-global-system-config:';
export const BGP = 'system-defined-bgp-connectivity';
export const NODE_STATUS = 'system-defined-node-status';

interface Transition {
  uve_name: string;
  alarm_type: string;
  from_state: string;
  state: string;
  version: string;
}

/**
 * Until the alarm engine's groups have committed all that was published: its first stage through
 * the collector's topics, then the engine through what that routed. Every transition is stored
 * before its delivery is committed, so the warehouse then holds all the engine will do of it.
 */
export const engineSettled = (bus: Bus): Promise<boolean> =>
  readUntil(
    "the alarm engine's groups at the ends of their topics",
    async () => {
      for (const [kind, group] of [
        ['uves', 'alarms-uves'],
        ['generators', 'alarms-generators'],
        ['alarms', 'alarms'],
      ] as const) {
        const [ends, at] = [await bus.ends(kind), await bus.committed(kind, group)];
        if ([...ends].some(([p, end]) => (at.get(p) ?? 0) < end)) return false;
      }
      return true;
    },
    (settled) => settled,
  );

/** The alarms' state transitions the engine stores, read step by step as a test plays events. */
export class AlarmTransitions {
  /** The version of the last transition read. */
  private since = 0;

  /** `bus` is asked each time: a test may reopen its bus between steps. */
  constructor(
    private readonly bus: () => Bus,
    private readonly warehouse: Warehouse,
  ) {}

  /**
   * Once the engine has settled, the bgp-connectivity and node-status transitions stored since the
   * last call, per `name type` as `from>to`. No alarm at all is raised twice running, whatever the
   * fabric's state raised meanwhile (asserted).
   */
  async next(): Promise<Record<string, string[]>> {
    await engineSettled(this.bus());
    const rows = await this.warehouse.query<Transition>(
      `SELECT uve_name, alarm_type, from_state, state, toString(version) AS version FROM alarms
       WHERE kind = 'state' ORDER BY version`,
    );
    const byAlarm = new Map<string, Transition[]>();
    for (const row of rows) {
      const id = `${row.uve_name} ${row.alarm_type.replace(SYSTEM, '')}`;
      byAlarm.set(id, [...(byAlarm.get(id) ?? []), row]);
    }
    for (const [id, steps] of byAlarm) {
      const chain = steps.map((t) => `${t.from_state}>${t.state}`).join(' ');
      steps.forEach((t, i) => assert.ok(i === 0 || steps[i - 1]!.state === t.from_state, `${id}: ${chain}`));
    }
    const since = this.since;
    this.since = Math.max(since, ...rows.map((row) => Number(row.version)));
    return Object.fromEntries(
      [...byAlarm]
        .filter(([id]) => id.endsWith(BGP) || id.endsWith(NODE_STATUS))
        .map(([id, steps]) => [id, steps.filter((t) => Number(t.version) > since)] as const)
        .filter(([, steps]) => steps.length > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, steps]) => [id, steps.map((t) => `${t.from_state}>${t.state}`)]),
    );
  }
}
