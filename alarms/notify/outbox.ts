import type { Warehouse } from '../../common/warehouse/warehouse.js';
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

const insert = `INSERT INTO alarm_deliveries (id, receiver, created, version, state, attempts, settled, event)
  SELECT r.1, r.2, fromUnixTimestamp64Milli(toInt64(r.3), 'UTC'), r.4, r.5, r.6,
    fromUnixTimestamp64Milli(toInt64(r.7), 'UTC'), r.8
  FROM (SELECT arrayJoin(arrayZip({id:Array(String)}, {receiver:Array(String)}, {created:Array(Int64)},
    {version:Array(UInt8)}, {state:Array(String)}, {attempts:Array(UInt32)}, {settled:Array(Int64)},
    {event:Array(String)})) AS r)`;

/** The outbox in the warehouse: pending rows written before an attempt, settled rows after. */
export class Outbox {
  constructor(private readonly warehouse: Warehouse) {}

  /** Writes the deliveries pending (version 1); written again, they are still one each. */
  async write(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.warehouse.exec(insert, {
      id: deliveries.map((d) => d.id),
      receiver: deliveries.map((d) => d.receiver),
      created: deliveries.map((d) => d.created),
      version: deliveries.map(() => 1),
      state: deliveries.map(() => 'pending'),
      attempts: deliveries.map(() => 0),
      settled: deliveries.map(() => 0),
      event: deliveries.map((d) => d.body),
    });
  }

  /** Writes the outcomes (version 2, without the body, which the pending row keeps until both expire). */
  async settle(settled: readonly Settled[]): Promise<void> {
    if (settled.length === 0) return;
    await this.warehouse.exec(insert, {
      id: settled.map((s) => s.delivery.id),
      receiver: settled.map((s) => s.delivery.receiver),
      created: settled.map((s) => s.delivery.created),
      version: settled.map(() => 2),
      state: settled.map((s) => s.state),
      attempts: settled.map((s) => s.attempts),
      settled: settled.map((s) => s.at),
      event: settled.map(() => ''),
    });
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
