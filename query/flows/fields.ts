import { flowCatalog, type FilterKind, type FlowField } from '../../common/schema/catalog/flows.js';
import type { RecordCatalog } from '../../common/schema/catalog/types.js';
import {
  flowSqlFields,
  type ApiColumn,
  type Dimension,
  type FilterSpec,
  type FlowSqlFields,
} from '../../common/sql/flows/fields.js';
import { toRfc3339 } from '../shared/time.js';

/**
 * The GraphQL side of the flow fields (common/sql/flows/fields.ts derives what SQL reads from the
 * catalog): the types that name the dimensions, filter fields and record columns, and a record as
 * the API shows it.
 */

export interface FlowFields extends Omit<FlowSqlFields, 'columns'> {
  /** The GraphQL enum FlowDimension, input FlowFilter and type Flow. */
  typeDefs: string;
  /** A record row as the API shows it: times in RFC 3339, counters as numbers. */
  toNode(row: Record<string, unknown>): Record<string, unknown>;
}

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
  const { columns, ...sql } = flowSqlFields(catalog);
  return {
    ...sql,
    typeDefs: typeDefs(columns, sql.dimensions, sql.filters),
    toNode: (row) => toNode(columns, row),
  };
}

function typeDefs(
  columns: readonly ApiColumn[],
  dimensions: Readonly<Record<string, Dimension>>,
  filters: Readonly<Record<string, FilterSpec>>,
): string {
  const helped = new Set<FilterKind>();
  const filterFields = Object.entries(filters).map(([name, spec]) => {
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
    // A page reads only the columns its request asks for.
    if (!Object.hasOwn(row, api.name)) continue;
    const value = String(row[api.name]);
    if (api.graphql === 'DateTime!') node[api.name] = toRfc3339(value);
    else if (api.graphql === 'DateTime') node[api.name] = value.startsWith(EPOCH) ? null : toRfc3339(value);
    else if (api.graphql === 'Float!') node[api.name] = Number(row[api.name]);
  }
  return node;
}

/** The flows API of the catalog in force. */
export const { typeDefs: flowFieldTypeDefs, toNode: flowNode } = flowFields();
