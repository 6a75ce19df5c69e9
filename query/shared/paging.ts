/**
 * Keyset paging, as every connection of the API pages: a page starts right after the sort key of
 * the previous page's last row (its cursor), so pages neither skip nor repeat rows while new ones
 * arrive (common/sql/keyset.ts), and a page asks for one row more than it returns to know whether another follows.
 */

/** PageInfo, which every connection shares. */
export const pagingTypeDefs = /* GraphQL */ `
  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }
`;

export interface Page<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A page of `first` rows: `fetch` is asked for `limit` rows (one more than the page), `cursor` gives
 * a row's position and `node` what the API shows of it.
 */
export async function keysetPage<Row, Node>(
  first: number,
  fetch: (limit: number) => Promise<Row[]>,
  cursor: (row: Row) => string,
  node: (row: Row) => Node,
): Promise<Page<Node>> {
  const rows = await fetch(first + 1);
  const edges = rows.slice(0, first).map((row) => ({ cursor: cursor(row), node: node(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
