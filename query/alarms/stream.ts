import { errorMessage } from '../../common/errors.js';
import { logger, rateLimited } from '../../common/log.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { SubscriptionAlarmsArgs, SubscriptionResolvers } from '../generated/graphql.js';
import type { Source, Streams } from '../streams/hub.js';
import { globTest } from '../streams/glob.js';
import { stream } from '../streams/resolvers.js';
import { toTransition, type AlarmTransitionNode, type TransitionRow } from './rows.js';
import { historyQuery } from './sql.js';

const limited = rateLimited(logger('streams'));

/** How often the stored transitions are read while an alarms stream is open. */
const POLL_MS = 1000;
/** How far back each read looks: a transition stored this late after its time is still seen. */
const LOOKBACK_US = 60e6;
/** Transitions one read takes, at most (newest first); a second's worth is far fewer. */
const READ_LIMIT = 1000;

/**
 * The alarms stream: the engine's transitions as it stores them (the `alarms` table), read every
 * POLL_MS while a subscriber is open, one read for all of them. The engine puts no transition on
 * the bus (it stores them, and its notifications go out through the outbox), and the warehouse is
 * what every query instance shares in both modes, so the stream reads it: the transitions of the
 * last LOOKBACK_US each time, those not yet seen (by version and alarm) handed on oldest first.
 * Those stored before the stream opened are not replayed.
 */
export function alarmSource(warehouse: Warehouse): Source<AlarmTransitionNode> {
  return {
    async start(deliver) {
      const seen = new Map<string, number>();
      const read = async (): Promise<TransitionRow[]> => {
        const nowUs = Date.now() * 1000;
        // The engine's clock may run ahead of ours: the range reaches a minute past now.
        const query = historyQuery(
          { fromUs: nowUs - LOOKBACK_US, toUs: nowUs + LOOKBACK_US },
          {},
          READ_LIMIT,
        );
        const rows = await warehouse.query<TransitionRow>(query.sql, query.params);
        for (const [key, atMs] of seen) if (atMs * 1000 < nowUs - 2 * LOOKBACK_US) seen.delete(key);
        return rows.filter((row) => {
          const key = `${row.version}\0${row.uve_type}\0${row.uve_name}\0${row.alarm_type}`;
          if (seen.has(key)) return false;
          seen.set(key, Number(row.at_ms));
          return true;
        });
      };
      await read();
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const poll = async (): Promise<void> => {
        try {
          const fresh = await read();
          if (!stopped && fresh.length > 0) deliver(fresh.reverse().map(toTransition));
        } catch (err) {
          limited.warn('alarms', { err: errorMessage(err) }, 'alarms stream: transitions not read');
        }
        if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
      };
      timer = setTimeout(() => void poll(), POLL_MS);
      return {
        close: async () => {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}

/** The alarms subscription: transitions of a UVE type, a UVE name glob, a rule (fq name or name). */
export const alarmSubscriptions = (streams: Streams): SubscriptionResolvers => ({
  alarms: stream<AlarmTransitionNode, SubscriptionAlarmsArgs>(streams, 'alarms', (args) => {
    const matches = globTest(args.name ?? '*');
    const rule = (type: string) => !args.type || type === args.type || type.split(':').at(-1) === args.type;
    return (t) => (!args.uveType || t.uveType === args.uveType) && matches(t.name) && rule(t.type);
  }),
});
