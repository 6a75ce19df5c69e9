import DataLoader from 'dataloader';
import { THRESHOLD_UVE_TYPES } from '../../common/model/alarm-rules/threshold.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { FlowNode } from '../flows/resolvers.js';
import type { Resolvers } from '../generated/graphql.js';
import type { QueryContext } from '../index.js';
import { fieldResolver } from '../shared/resolve.js';
import { SHOWN, toAlarm, type Alarm, type AlarmRow } from './rows.js';
import { linkedAlarmsQuery, VMI_UVE_TYPE } from './sql.js';

/**
 * Flows and UVEs link to their alarms (Uve.alarms, UveSummary.alarms, Flow.alarms). Every parent of
 * a request asks the request's loader (the GraphQL context) for the alarms of the UVEs it names; the
 * loader gathers the names asked for while the parents resolve and reads them in one query.
 */

/** A UVE whose alarms a parent shows: its type and name, or a VMI a flow knows by its uuid alone. */
export type UveRef = { uveType: string; name: string } | { vmiUuid: string };

const refKey = (ref: UveRef): string =>
  'vmiUuid' in ref ? `vmi\u0000${ref.vmiUuid}` : `uve\u0000${ref.uveType}\u0000${ref.name}`;

/** The alarms shown of some UVEs, each UVE's by alarm type, UVEs in the order given (each once). */
export type AlarmLinks = (uves: readonly UveRef[]) => Promise<Alarm[]>;

/** The links of one request: a loader whose cache lives as long as the request. */
export function alarmLinks(warehouse: Warehouse): AlarmLinks {
  const loader = new DataLoader<UveRef, Alarm[], string>((refs) => readAlarms(warehouse, refs), {
    cacheKeyFn: refKey,
  });
  return async (uves) => {
    const unique = [...new Map(uves.map((ref) => [refKey(ref), ref])).values()];
    return (await Promise.all(unique.map((ref) => loader.load(ref)))).flat();
  };
}

/** One read for every UVE asked for; the query reads types × names, of which the pairs asked are kept. */
async function readAlarms(warehouse: Warehouse, refs: readonly UveRef[]): Promise<Alarm[][]> {
  const pairs = refs.filter((ref) => 'uveType' in ref);
  const query = linkedAlarmsQuery(
    {
      types: [...new Set(pairs.map((ref) => ref.uveType))],
      names: [...new Set(pairs.map((ref) => ref.name))],
      vmiUuids: refs.flatMap((ref) => ('vmiUuid' in ref ? [ref.vmiUuid] : [])),
    },
    SHOWN,
  );
  const byRef = new Map<string, Alarm[]>();
  const add = (ref: UveRef, alarm: Alarm): void => {
    const key = refKey(ref);
    byRef.set(key, [...(byRef.get(key) ?? []), alarm]);
  };
  for (const row of await warehouse.query<AlarmRow>(query.sql, query.params)) {
    const alarm = toAlarm(row);
    add({ uveType: row.uve_type, name: row.uve_name }, alarm);
    if (row.uve_type === VMI_UVE_TYPE) add({ vmiUuid: row.uve_name.split(':').at(-1)! }, alarm);
  }
  return refs.map((ref) => byRef.get(refKey(ref)) ?? []);
}

/** An interface a flow record does not name (a flow seen outside any VMI). */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The UVEs a flow touches: its vRouter, its source and destination networks, its interface. And
 * the threshold rules' groups it belongs to, by name only (the query API does not know the rules'
 * groupBy): over flows, a group named as its vRouter, a network, a namespace or a workload; over
 * interface stats, one named as its interface's uuid, a network, its vRouter or a workload (a VM).
 */
export function flowUves(flow: FlowNode): UveRef[] {
  const text = (field: string): string => String(flow[field] ?? '');
  const [vrouter, networks, namespaces, workloads, vmi] = [
    text('vrouter'),
    [text('sourceVn'), text('destVn')],
    [text('sourceNamespace'), text('destNamespace')],
    [text('sourceWorkload'), text('destWorkload')],
    text('vmiUuid'),
  ];
  const interfaces = vmi === '' || vmi === NIL_UUID ? [] : [vmi];
  const named = (uveType: string, names: readonly string[]): UveRef[] =>
    names.filter((name) => name !== '').map((name) => ({ uveType, name }));
  return [
    ...named('vrouter', [vrouter]),
    ...named('virtual-network', networks),
    ...interfaces.map((vmiUuid) => ({ vmiUuid })),
    ...named(THRESHOLD_UVE_TYPES.flows, [vrouter, ...networks, ...namespaces, ...workloads]),
    ...named(THRESHOLD_UVE_TYPES.interface_stats, [...interfaces, ...networks, vrouter, ...workloads]),
  ];
}

/** The fields below the root that read the warehouse: the request's cost charges them as root fields. */
export const ALARM_LINK_FIELDS = ['Uve.alarms', 'UveSummary.alarms', 'Flow.alarms'] as const;

const ofUve = (coordinate: string) =>
  fieldResolver(coordinate, (uve: { type: string; name: string }, context: QueryContext) =>
    context.alarmLinks([{ uveType: uve.type, name: uve.name }]),
  );

/** The resolvers of the links. */
export const alarmLinkResolvers: Resolvers = {
  Uve: { alarms: ofUve('Uve.alarms') },
  UveSummary: { alarms: ofUve('UveSummary.alarms') },
  Flow: {
    alarms: fieldResolver('Flow.alarms', (flow: FlowNode, context: QueryContext) =>
      context.alarmLinks(flowUves(flow)),
    ),
  },
};
