import type { QueryParams } from '../../common/warehouse/warehouse.js';

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
