import { alarmStateView, latestAlarms } from '../common/schema/alarms.js';
import { logger } from '../common/log.js';
import { utcText, type Warehouse } from '../common/warehouse/warehouse.js';
import type { Change, HeldAlarm } from './engine.js';
import { alarmMetrics } from './metrics.js';
import type { AlarmStatus } from './lifecycle.js';
import type { Notifier } from './notify/index.js';

const log = logger('alarms');

/**
 * The engine's memory in the warehouse (common/schema/alarms.ts): each transition is a row of
 * `alarms`, which feeds `alarm_state`; a restart restores the statuses from `alarm_state`.
 */
export class AlarmStore {
  /** The version of the last row written: strictly increasing, and above every stored one. */
  private version = 0;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly notifier?: Pick<Notifier, 'write'>,
  ) {}

  /**
   * Run at start, before any write. An insert into `alarms` is not atomic with its view's: an engine
   * killed between the two leaves `alarm_state` short, so the rows of the last minutes before the
   * newest are written again (the state table keeps the newest row per alarm: a repeat changes nothing).
   */
  async open(): Promise<void> {
    await this.warehouse.exec(
      `INSERT INTO ${alarmStateView.target} ${alarmStateView.select}
       WHERE at >= (SELECT max(at) FROM ${alarmStateView.source}) - INTERVAL 10 MINUTE`,
    );
    const [row] = await this.warehouse.query<{ version: string }>(
      'SELECT toString(max(version)) AS version FROM alarm_state',
    );
    this.version = Number(row?.version ?? 0);
  }

  /** Every alarm not idle, or idle with raises in its flap window. */
  async held(): Promise<HeldAlarm[]> {
    const rows = await this.warehouse.query<{
      uve_type: string;
      uve_name: string;
      alarm_type: string;
      severity: number;
      description: string;
      status: string;
    }>(
      `SELECT uve_type, uve_name, alarm_type, severity, description, status FROM (${latestAlarms()})
       WHERE state != 'Idle' OR JSONLength(status, 'raises') > 0`,
    );
    return rows.map((row) => ({
      uveType: row.uve_type,
      uveName: row.uve_name,
      alarmType: row.alarm_type,
      severity: Number(row.severity),
      description: row.description,
      status: JSON.parse(row.status) as AlarmStatus,
    }));
  }

  /** Stores the transitions of the changes in one insert; changes without any store nothing. */
  async store(changes: readonly Change[]): Promise<void> {
    const rows = changes.flatMap((change) =>
      change.transitions.map((transition) => ({ change, transition, version: this.nextVersion() })),
    );
    if (rows.length === 0) return;
    const stop = alarmMetrics.storeSeconds.startTimer();
    // The notifications' outbox first: a crash between the two writes notifies a transition that a
    // redelivery makes again (at-least-once), where the other order would lose it.
    const notify = await this.notifier?.write(rows);
    await this.warehouse.insertRows(
      'alarms',
      rows.map(({ change, transition, version }) => ({
        at: utcText(transition.at),
        version,
        uve_type: change.uveType,
        uve_name: change.uveName,
        alarm_type: change.alarmType,
        severity: change.severity,
        kind: transition.kind,
        from_state: transition.from,
        state: transition.to,
        token: transition.token,
        acknowledged: change.status.acknowledged,
        flapping: change.status.flapping,
        status: JSON.stringify(change.status),
        description: change.description,
      })),
    );
    stop();
    // Versions in order: what bench/alarms.ts times each transition's store by.
    log.debug(
      { rows: rows.length, versions: [rows[0]!.version, rows.at(-1)!.version] },
      'alarm transitions stored',
    );
    notify?.();
  }

  /** µs of the wall clock, or one more than the last when the clock has not moved on (or went back). */
  private nextVersion(): number {
    this.version = Math.max(Date.now() * 1000, this.version + 1);
    return this.version;
  }
}
