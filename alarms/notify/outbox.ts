import { utcText, type Warehouse } from '../../common/warehouse/warehouse.js';
import type { AlarmEvent } from './events.js';

/** One notification to one receiver (a row of `alarm_deliveries`, common/schema/alarm-deliveries.ts). */
export interface Delivery {
  id: string;
  receiver: string;
  /** When the transition happened (ms): the dead-letter age counts from it. */
  created: number;
  /** The body as stored: every attempt sends these bytes. */
  body: string;
  /** Not in the outbox (Alertmanager's resends): one attempt, nothing settled. */
  transient?: boolean;
}

export interface Settled {
  delivery: Delivery;
  state: 'delivered' | 'dead';
  attempts: number;
  at: number;
}

export const deliveryOf = (receiver: string, created: number, event: AlarmEvent): Delivery => ({
  id: event.id,
  receiver,
  created,
  body: JSON.stringify(event),
});

/** A row of `alarm_deliveries`: version 1 pending, with the body; version 2 settled, without. */
const row = (
  d: Delivery,
  version: number,
  state: string,
  attempts: number,
  settled: number,
  event: string,
) => ({
  id: d.id,
  receiver: d.receiver,
  created: utcText(d.created),
  version,
  state,
  attempts,
  settled: utcText(settled),
  event,
});

/** The outbox in the warehouse: pending rows written before an attempt, settled rows after. */
export class Outbox {
  constructor(private readonly warehouse: Warehouse) {}

  /** Writes the deliveries pending (version 1); written again, they are still one each. */
  async write(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.warehouse.insertRows(
      'alarm_deliveries',
      deliveries.map((d) => row(d, 1, 'pending', 0, 0, d.body)),
    );
  }

  /** Writes the outcomes (version 2, without the body, which the pending row keeps until both expire). */
  async settle(settled: readonly Settled[]): Promise<void> {
    if (settled.length === 0) return;
    await this.warehouse.insertRows(
      'alarm_deliveries',
      settled.map((s) => row(s.delivery, 2, s.state, s.attempts, s.at, '')),
    );
  }

  /**
   * Every delivery not settled created since `since` (ms), oldest first: what a restart resumes.
   * Bounded so that a start reads days, not the table's 30.
   */
  async pending(since: number): Promise<Delivery[]> {
    const rows = await this.warehouse.query<{ id: string; receiver: string; ms: string; body: string }>(
      `SELECT id, toString(receiver) AS receiver, toString(toUnixTimestamp64Milli(created)) AS ms,
         argMin(event, version) AS body
       FROM alarm_deliveries WHERE created >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
       GROUP BY created, receiver, id HAVING max(version) = 1 ORDER BY created`,
      { since },
    );
    return rows.map(({ id, receiver, ms, body }) => ({ id, receiver, created: Number(ms), body }));
  }
}
