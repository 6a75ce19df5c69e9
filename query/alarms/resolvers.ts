import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { acknowledgementMessage } from '../../common/bus/alarm-commands.js';
import { FabricError } from '../../common/errors.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { MutationResolvers, QueryResolvers } from '../generated/graphql.js';
import type { MutationDeps } from '../index.js';
import { checkFirst } from '../shared/arguments.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import { resolver } from '../shared/resolve.js';
import { parseRange } from '../shared/time.js';
import {
  severityNumber,
  SHOWN,
  storedState,
  toAlarm,
  toTransition,
  type AlarmRow,
  type TransitionRow,
} from './rows.js';
import { alarmRuleMutations, alarmRuleResolvers } from './rules.js';
import {
  alarmsQuery,
  historyQuery,
  uveAlarmsQuery,
  type AlarmPosition,
  type TransitionPosition,
} from './sql.js';

/** How long transitions are kept (migration 6's TTL): the default reach of the history. */
const KEPT_US = 30 * 86400e6;

export function alarmResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    alarms: resolver('alarms', async (args) => {
      checkFirst(args.first);
      const filter = args.filter ?? {};
      const after = args.after ? alarmCursor.decode(args.after, 'after') : undefined;
      const selection = {
        severities: filter.severity?.map(severityNumber),
        types: filter.type ?? undefined,
        uveTypes: filter.uveType ?? undefined,
        name: filter.name ?? undefined,
        states: filter.state?.map(storedState) ?? SHOWN,
        acknowledged: filter.acknowledged ?? undefined,
      };
      return keysetPage(
        args.first,
        async (limit) => {
          const query = alarmsQuery(selection, limit, after);
          return warehouse.query<AlarmRow>(query.sql, query.params);
        },
        (row) => alarmCursor.encode([row.uve_type, row.uve_name, row.alarm_type]),
        toAlarm,
      );
    }),
    alarm: resolver('alarm', async (args) => {
      const query = uveAlarmsQuery(args.uveType, args.name, SHOWN);
      return (await warehouse.query<AlarmRow>(query.sql, query.params)).map(toAlarm);
    }),
    alarmHistory: resolver('alarmHistory', async (args) => {
      checkFirst(args.first);
      const range = parseRange(args.from, args.to, Date.now(), KEPT_US);
      const after = args.after ? transitionCursor.decode(args.after, 'after') : undefined;
      const selection = {
        uveType: args.uveType ?? undefined,
        uveName: args.name ?? undefined,
        type: args.type ?? undefined,
      };
      return keysetPage(
        args.first,
        async (limit) => {
          const query = historyQuery(range, selection, limit, after);
          return warehouse.query<TransitionRow>(query.sql, query.params);
        },
        (row) => transitionCursor.encode([row.version, row.uve_type, row.uve_name, row.alarm_type]),
        toTransition,
      );
    }),
    ...alarmRuleResolvers(warehouse),
  };
}

/**
 * Acknowledgements go to the alarm engine, which alone changes an alarm, on the bus's `alarms` topic;
 * the answer is the alarm as the warehouse then holds it. Checked here first, so that a wrong token
 * is told to the caller rather than only refused by the engine; checked again after, for an alarm
 * that changed in between. `bus` is undefined where this process reaches no engine.
 */
export function alarmMutations(warehouse: Warehouse, { bus, waitMs }: MutationDeps): MutationResolvers {
  const shown = async (uveType: string, name: string, type: string, token: string): Promise<AlarmRow> => {
    const query = uveAlarmsQuery(uveType, name, SHOWN);
    const rows = await warehouse.query<AlarmRow>(query.sql, query.params);
    const row = rows.find((r) => r.alarm_type === type || r.alarm_type.split(':').at(-1) === type);
    if (!row) throw new FabricError('NOT_FOUND', `no alarm ${type} is shown for ${uveType} ${name}`);
    if (row.token !== token) {
      throw new FabricError(
        'FAILED_PRECONDITION',
        `alarm ${row.alarm_type} of ${uveType} ${name} has changed since token ${token}; acknowledge ${row.token}`,
      );
    }
    return row;
  };
  return {
    ...alarmRuleMutations(warehouse, { bus, waitMs }),
    acknowledgeAlarm: resolver('acknowledgeAlarm', async ({ uveType, name, type, token }) => {
      if (!bus) {
        throw new FabricError(
          'UNAVAILABLE',
          'acknowledgeAlarm needs the alarm engine: run the query service with Kafka (--kafka-brokers) or in one process with alarms',
        );
      }
      let row = await shown(uveType, name, type, token);
      if (row.acknowledged) return toAlarm(row);
      await bus.publish('alarms', [
        acknowledgementMessage({ uveType, uveName: name, alarmType: row.alarm_type, token }),
      ]);
      // In one process the publish returns once the engine has stored it; over Kafka it may still be on its way.
      const deadline = Date.now() + waitMs;
      while (!(row = await shown(uveType, name, type, token)).acknowledged) {
        if (Date.now() >= deadline) {
          throw new FabricError(
            'UNAVAILABLE',
            `the alarm engine has not acknowledged it within ${waitMs} ms`,
          );
        }
        await sleep(100);
      }
      return toAlarm(row);
    }),
  };
}

const alarmCursor = cursorCodec<AlarmPosition>(z.tuple([z.string(), z.string(), z.string()]));
/** An alarmHistory cursor: the position of its transition, its version first. */
export const transitionCursor = cursorCodec<TransitionPosition>(
  z.tuple([z.string().regex(/^\d{1,20}$/), z.string(), z.string(), z.string()]),
);
