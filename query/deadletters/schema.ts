/**
 * The dead letters domain of the GraphQL API: records the warehouse refused for what they hold,
 * which the writer set aside (dead_letters, kept 7 days) so their topic moves on.
 */
export const deadLettersTypeDefs = /* GraphQL */ `
  "A record the warehouse refused for what it holds (a value out of range, bytes it cannot read …)."
  type DeadLetter {
    "When the writer set it aside."
    deadAt: DateTime!
    "When the collector received its batch."
    receivedAt: DateTime!
    "The bus topic it came on: flows, uves, routes, ifstats or generators."
    kind: String!
    "The table it was meant for."
    table: String!
    generator: String!
    "The batch's id with the generator: 64-bit integers, as text."
    batchEpoch: String!
    batchSeq: String!
    "Its position in its batch, from 0."
    index: Int!
    "The record's bytes as received (its records.proto encoding), base64."
    record: String!
    "The ClickHouse error code of the refusal, and its text."
    errorCode: Int!
    error: String!
  }

  type DeadLetterEdge {
    cursor: String!
    node: DeadLetter!
  }

  type DeadLetterConnection {
    edges: [DeadLetterEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    """
    Records set aside in [from, to) (RFC 3339 or like now-15m; from defaults to 7 days before to, the
    time they are kept; to to now), newest first. generator: only this generator's; kind: only this
    topic's (flows, uves, routes, ifstats, generators).
    """
    deadLetters(
      from: String
      to: String
      generator: String
      kind: String
      first: Int = 100
      after: String
    ): DeadLetterConnection!
  }
`;
