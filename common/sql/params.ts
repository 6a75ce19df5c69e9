import type { QueryParams } from '../warehouse/warehouse.js';

/** SQL and the parameters it binds. */
export interface BuiltQuery {
  sql: string;
  params: QueryParams;
}

/** A query on one table of a family (raw or a rollup), which it says. */
export interface TableQuery<Table> extends BuiltQuery {
  table: Table;
}

/** Collects query parameters and hands out their `{name:Type}` placeholders: values never enter SQL. */
export class Params {
  readonly values: QueryParams = {};
  private next = 0;

  add(type: string, value: string | number | readonly (string | number)[]): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}
