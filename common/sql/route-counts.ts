import { keyedRows, pathKeyColumns, routeRows, versionColumns } from '../schema/route-table.js';
import { Params, type BuiltQuery } from './params.js';

/** An instant given in µs, as SQL. */
export const instant = (params: Params, atUs: number): string =>
  `fromUnixTimestamp64Micro(${params.add('Int64', atUs)}, 'UTC')`;

/** The columns route counts read: a path's key and the order and kind of its events. */
const countedColumns =
  'routing_instance, family, prefix, protocol, peer, generator, time, received_at, batch_epoch, batch_seq, op';

/**
 * How many paths each generator held in each VRF at every step boundary from `firstUs` to `lastUs`:
 * each event changes its count by (now present) − (present before), read from the previous event of
 * its path, so a repeated add or a delete of an absent path changes nothing. A generator's withdrawal
 * acts as a delete of every path it had sent before, as `pathsAt` reads it. Every change is booked at
 * the first boundary at or after it, those before `firstUs` at `firstUs` and those after the last
 * multiple of the step at `lastUs` (the end of a range that is not one: the partial step under way);
 * the running sum, which the caller takes, is then the count at each boundary. The table at `firstUs` is read whole (its latest
 * snapshot and the events after it, each path's latest row an add), since a path added long before
 * still counts; then every event up to the last boundary.
 */
export function countChangesQuery(
  vrfs: readonly string[],
  firstUs: number,
  lastUs: number,
  stepUs: number,
): BuiltQuery {
  const params = new Params();
  const vrfCondition = vrfs.length ? `routing_instance IN ${params.add('Array(String)', vrfs)}` : '1';
  const last = instant(params, lastUs);
  const step = params.add('Int64', stepUs);
  const path = ['routing_instance', ...pathKeyColumns].join(', ');
  const events = keyedRows(
    `routing_instance, protocol, peer, generator, time, received_at, batch_epoch, batch_seq, op = 'add' AS present`,
    routeRows(vrfCondition, last, instant(params, firstUs), countedColumns),
  );
  // UNION ALL matches columns by position: the same order as the events' side.
  const withdrawals = `SELECT DISTINCT ${['routing_instance', ...pathKeyColumns].map((c) => `event.${c}`).join(', ')},
      gone.time AS time, gone.time AS received_at, toUInt64(0) AS batch_epoch, toUInt64(0) AS batch_seq,
      toUInt8(0) AS present
    FROM (${events}) AS event
    INNER JOIN (
      SELECT generator, time FROM generator_events WHERE event = 'withdrawn' AND time <= ${last}
    ) AS gone ON event.generator = gone.generator
    WHERE event.received_at < gone.time`;
  const all = `SELECT ${path}, time, received_at, batch_epoch, batch_seq, present FROM (${events})
    UNION ALL ${withdrawals}`;
  // lagInFrame gives 0 (absent) before a path's first event.
  const changes = `SELECT routing_instance, generator, received_at,
      present - lagInFrame(present) OVER (PARTITION BY ${path}
        ORDER BY ${versionColumns.join(', ')} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS change
    FROM (${all})`;
  const sql = `SELECT routing_instance AS vrf, generator,
      least(greatest(intDiv(toUnixTimestamp64Micro(received_at) + ${step} - 1, ${step}) * ${step},
        ${params.add('Int64', firstUs)}), ${params.add('Int64', lastUs)}) AS point,
      sum(change) AS delta
    FROM (${changes}) GROUP BY vrf, generator, point ORDER BY vrf, generator, point`;
  return { sql, params: params.values };
}
