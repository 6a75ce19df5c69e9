import { flowBatchApi, flowCatalog, type FlowApi, type FilterKind } from '../../schema/catalog/flows.js';
import type { RecordCatalog } from '../../schema/catalog/types.js';
import type { FlowField } from '../../schema/catalog/flows.js';
import { printedAddress } from '../../schema/addresses.js';

/**
 * What flow queries may read, derived from the flow catalog (common/schema/catalog/flows.ts): the
 * dimensions to group by, the filter fields and the record columns, named as the API names them.
 * Only names from here ever become SQL. The GraphQL types that name them are the query API's
 * (query/flows/fields.ts).
 */

/** A stored column as queries read it. */
export interface Dimension {
  column: string;
  /** Kept by the rollup levels, so a query that reads it may use them. */
  rollup: boolean;
  /** How the value is printed in groups and series. */
  output: string;
  /** An address (IPv6, IPv4 mapped), printed as `printedAddress`; anything else as toString. */
  address: boolean;
}

export interface FilterSpec {
  /** The column it reads, or the two ends of the flow for an "either end" field. */
  on: readonly Dimension[];
  kind: FilterKind;
  /** For an enum column: the values it takes, as stored. */
  values: readonly string[];
}

/** A column the API offers: how it is read, and how the catalog declares it. */
export interface ApiColumn extends Dimension {
  api: FlowApi;
  type: string;
}

export interface FlowSqlFields {
  /** Every API column, batch columns first, then the catalog's in order. */
  columns: readonly ApiColumn[];
  /** The FlowDimension values (UPPER_SNAKE) and the column each reads. */
  dimensions: Readonly<Record<string, Dimension>>;
  /** The FlowFilter fields. */
  filters: Readonly<Record<string, FilterSpec>>;
  /** The SELECT list of a record: every API column under its GraphQL name. */
  recordColumns: string;
  /** Each API column's part of that list, by its GraphQL name. */
  recordColumn: Readonly<Record<string, string>>;
}

/** sourcePort → SOURCE_PORT */
const upperSnake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The values of an Enum8 column type, but the zero one (unspecified). */
const enumValues = (type: string): string[] =>
  [...type.matchAll(/'([^']+)' = (\d+)/g)].filter(([, , n]) => n !== '0').map(([, name]) => name!);

/** How a dimension's value is printed, of its column or another expression of its type (grouped by). */
export const printed = ({ address }: Pick<Dimension, 'address'>, expression: string): string =>
  address ? printedAddress(expression) : `toString(${expression})`;

export function flowSqlFields(catalog: RecordCatalog<FlowField> = flowCatalog): FlowSqlFields {
  const columns: ApiColumn[] = [
    ...flowBatchApi.map(({ column, api }) => ({
      column,
      api,
      type: '',
      rollup: false,
      output: printed({ address: api.printed === 'address' }, column),
      address: api.printed === 'address',
    })),
    ...catalog.fields
      .filter((f) => f.api)
      .map((f) => ({
        column: f.column,
        api: f.api!,
        type: f.type,
        rollup: f.rollup !== undefined,
        output: printed({ address: f.api!.printed === 'address' }, f.column),
        address: f.api!.printed === 'address',
      })),
  ];
  return {
    columns,
    dimensions: Object.fromEntries(
      columns.filter((c) => c.api.group).map((c) => [upperSnake(c.api.name), dimension(c)]),
    ),
    filters: filtersOf(columns),
    recordColumns: columns.map(select).join(', '),
    recordColumn: Object.fromEntries(columns.map((c) => [c.api.name, select(c)])),
  };
}

const dimension = ({ column, rollup, output, address }: ApiColumn): Dimension => ({
  column,
  rollup,
  output,
  address,
});

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

/** The flow fields of the catalog in force. */
export const { dimensions, filters, recordColumns, recordColumn } = flowSqlFields();
