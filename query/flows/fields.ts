import {
  flowBatchApi,
  flowCatalog,
  type FlowApi,
  type FilterKind,
} from '../../common/schema/catalog/flows.js';
import type { RecordCatalog } from '../../common/schema/catalog/types.js';
import type { FlowField } from '../../common/schema/catalog/flows.js';
import { printedAddress } from '../../common/schema/addresses.js';
import { toRfc3339 } from '../shared/time.js';

/**
 * What the flows API offers, derived from the flow catalog (common/schema/catalog/flows.ts): the
 * dimensions to group by, the filter fields, the record columns, and the GraphQL types that name
 * them. Only names from here ever become SQL.
 */

/** A stored column as queries read it. */
export interface Dimension {
  column: string;
  /** Kept by the rollup levels, so a query that reads it may use them. */
  rollup: boolean;
  /** How the value is printed in groups and series. */
  output: string;
}

export interface FilterSpec {
  /** The column it reads, or the two ends of the flow for an "either end" field. */
  on: readonly Dimension[];
  kind: FilterKind;
  /** For an enum column: the values it takes, as stored. */
  values: readonly string[];
}

export interface FlowFields {
  dimensions: Readonly<Record<string, Dimension>>;
  filters: Readonly<Record<string, FilterSpec>>;
  /** The SELECT list of a record: every API column under its GraphQL name. */
  recordColumns: string;
  /** The GraphQL enum FlowDimension, input FlowFilter and type Flow. */
  typeDefs: string;
  /** A record row as the API shows it: times in RFC 3339, counters as numbers. */
  toNode(row: Record<string, unknown>): Record<string, unknown>;
}

interface ApiColumn extends Dimension {
  api: FlowApi;
  type: string;
}

/** sourcePort → SOURCE_PORT */
const upperSnake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The values of an Enum8 column type, but the zero one (unspecified). */
const enumValues = (type: string): string[] =>
  [...type.matchAll(/'([^']+)' = (\d+)/g)].filter(([, , n]) => n !== '0').map(([, name]) => name!);

const output = (column: string, api: FlowApi): string =>
  api.printed === 'address' ? printedAddress(column) : `toString(${column})`;

// A filter kind's GraphQL value type, and its help where the first field of that kind is declared.
const filterInput: Record<FilterKind, string> = {
  text: '[String!]',
  ip: '[String!]',
  port: '[Int!]',
  protocol: '[String!]',
  enum: '[String!]',
  label: '[String!]',
};
const filterHelp: Partial<Record<FilterKind, string>> = {
  label: 'Label selectors: key=value, or key alone for any value.',
};

export function flowFields(catalog: RecordCatalog<FlowField> = flowCatalog): FlowFields {
  const columns: ApiColumn[] = [
    ...flowBatchApi.map(({ column, api }) => ({
      column,
      api,
      type: '',
      rollup: false,
      output: output(column, api),
    })),
    ...catalog.fields
      .filter((f) => f.api)
      .map((f) => ({
        column: f.column,
        api: f.api!,
        type: f.type,
        rollup: f.rollup !== undefined,
        output: output(f.column, f.api!),
      })),
  ];
  const dimensions = Object.fromEntries(
    columns.filter((c) => c.api.group).map((c) => [upperSnake(c.api.name), dimension(c)]),
  );
  return {
    dimensions,
    filters: filtersOf(columns),
    recordColumns: columns.map(select).join(', '),
    typeDefs: typeDefs(columns, dimensions),
    toNode: (row) => toNode(columns, row),
  };
}

const dimension = ({ column, rollup, output }: ApiColumn): Dimension => ({ column, rollup, output });

/** Each filter field, and each "either end" field over the two ends, in catalog order. */
function filtersOf(columns: readonly ApiColumn[]): Record<string, FilterSpec> {
  const filters: Record<string, FilterSpec> = {};
  for (const c of columns) {
    const filter = c.api.filter;
    if (!filter) continue;
    const spec = { kind: filter.kind, values: enumValues(c.type) };
    filters[filter.name ?? c.api.name] = { ...spec, on: [dimension(c)] };
    if (!filter.either) continue;
    const either = filters[filter.either];
    filters[filter.either] = { ...spec, on: [...(either?.on ?? []), dimension(c)] };
  }
  return filters;
}

// Aliases never reuse another column's name: ClickHouse would let WHERE and ORDER BY see the alias.
function select(c: ApiColumn): string {
  if (c.api.name === c.column) return c.column;
  const value = c.api.printed || c.api.graphql.startsWith('DateTime') ? c.output : c.column;
  return `${value} AS ${c.api.name}`;
}

function typeDefs(columns: readonly ApiColumn[], dimensions: Record<string, Dimension>): string {
  const helped = new Set<FilterKind>();
  const filterFields = Object.entries(filtersOf(columns)).map(([name, spec]) => {
    const help = filterHelp[spec.kind] && !helped.has(spec.kind) ? `"${filterHelp[spec.kind]}"\n    ` : '';
    helped.add(spec.kind);
    return `${help}${name}: ${filterInput[spec.kind]}`;
  });
  const flowFields = columns.map(
    (c) => `${c.api.doc ? `"${c.api.doc}"\n    ` : ''}${c.api.name}: ${c.api.graphql}`,
  );
  return /* GraphQL */ `
  enum FlowDimension {
    ${Object.keys(dimensions).join('\n    ')}
  }

  """
  Which flows to keep. Every field takes a list: a flow matches a field when it matches any value, and
  the filter when it matches every field given. Fields named without source/dest match either end.
  IPs take an address or a CIDR prefix (IPv4 or IPv6). protocol takes a number or tcp, udp, icmp,
  icmp6, sctp, gre, esp; action pass, deny, drop, nat, mirror; direction ingress, egress.
  """
  input FlowFilter {
    ${filterFields.join('\n    ')}
  }

  "One flow sample as a vRouter exported it (Tungsten Fabric's FlowRecordTable)."
  type Flow {
    ${flowFields.join('\n    ')}
  }
`;
}

/** A teardown time of 0 (the epoch) means the flow is still active. */
const EPOCH = '1970-01-01 00:00:00.000000';

function toNode(columns: readonly ApiColumn[], row: Record<string, unknown>): Record<string, unknown> {
  const node: Record<string, unknown> = { ...row };
  for (const { api } of columns) {
    const value = String(row[api.name]);
    if (api.graphql === 'DateTime!') node[api.name] = toRfc3339(value);
    else if (api.graphql === 'DateTime') node[api.name] = value.startsWith(EPOCH) ? null : toRfc3339(value);
    else if (api.graphql === 'Float!') node[api.name] = Number(row[api.name]);
  }
  return node;
}

/** The flows API of the catalog in force. */
export const {
  dimensions,
  filters,
  recordColumns,
  typeDefs: flowFieldTypeDefs,
  toNode: flowNode,
} = flowFields();
