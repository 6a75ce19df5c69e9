import type { Params } from './params.js';

/**
 * Keyset paging's condition (query/shared/paging.ts pages with it): the rows right after the sort
 * key of the previous page's last row, so pages neither skip nor repeat rows while new ones arrive.
 */

/** A sort key: its columns, each with the type a position's value binds as. */
export type SortKey = readonly (readonly [column: string, type: string])[];

/** The rows after `position` (a value per key column) in the order of `key`, all ascending or all descending. */
export function afterPosition<Key extends SortKey>(
  key: Key,
  position: { readonly [I in keyof Key]: string | number },
  order: 'ascending' | 'descending',
  params: Params,
): string {
  const values = key.map(([, type], i) => params.add(type, position[i]!));
  return `(${key.map(([column]) => column).join(', ')}) ${order === 'ascending' ? '>' : '<'} (${values.join(', ')})`;
}
