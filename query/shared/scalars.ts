/** Scalars every domain of the GraphQL API shares. */
export const scalarsTypeDefs = /* GraphQL */ `
  "RFC 3339 time with microseconds, UTC."
  scalar DateTime

  "Any JSON value: UVE attributes, which are the generators' own structures."
  scalar JSON
`;
