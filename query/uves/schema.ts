/** UVEs and the generators that feed them (Tungsten Fabric's /analytics/uves and /analytics/generators). */
export const uvesTypeDefs = /* GraphQL */ `
  "A UVE type with the number of UVEs of that type that have a live part."
  type UveType {
    type: String!
    count: Int!
  }

  type UveSummary {
    type: String!
    name: String!
    structs: [String!]!
    sources: [String!]!
    updatedAt: DateTime!
  }

  "One generator's part of a struct."
  type UveSource {
    generator: String!
    updatedAt: DateTime!
    attributes: JSON!
  }

  """
  One struct of a UVE. value aggregates the sources by each attribute's aggtype: sum adds, union
  set-unions, append concatenates (merging items with the same list key); without an aggtype equal
  values collapse and differing ones become a list of { value, source }.
  """
  type UveStruct {
    struct: String!
    value: JSON!
    sources: [UveSource!]!
  }

  type Uve {
    type: String!
    name: String!
    "struct → attribute → aggregated value, like /analytics/uves/<type>/<name>?flat"
    value: JSON!
    structs: [UveStruct!]!
  }

  "One update of a UVE struct as a generator sent it."
  type UveUpdate {
    time: DateTime!
    receivedAt: DateTime!
    generator: String!
    struct: String!
    "A deletion withdraws this generator's part of the struct."
    deleted: Boolean!
    attributes: JSON
  }

  enum GeneratorStatus {
    CONNECTED
    DISCONNECTED
    "Disconnected past the grace period: its UVE parts no longer count until it reconnects and resends."
    WITHDRAWN
  }

  type Generator {
    "source:node_type:module:instance_id"
    name: String!
    source: String!
    nodeType: String!
    module: String!
    instanceId: String!
    status: GeneratorStatus!
    since: DateTime!
    connectedAt: DateTime
    epoch: String!
    peer: String!
  }

  type GeneratorEdge {
    cursor: String!
    node: Generator!
  }

  type GeneratorConnection {
    edges: [GeneratorEdge!]!
    pageInfo: PageInfo!
  }

  extend type Query {
    uveTypes: [UveType!]!
    "UVEs of a type whose name matches a glob (* and ?), at most first."
    uves(type: String!, match: String = "*", first: Int = 1000): [UveSummary!]!
    "One UVE, aggregated across its generators; structs narrows it to some structs. null when it has no live part."
    uve(type: String!, name: String!, structs: [String!]): Uve
    "How a UVE changed: its updates in [from, to) (default the last hour), oldest first, optionally of one struct."
    uveHistory(
      type: String!
      name: String!
      struct: String
      from: String
      to: String
      first: Int = 100
    ): [UveUpdate!]!
    """
    Generators by name, each with its latest session event; status: only those in it. A generator
    withdrawn for longer than the UVE history is kept (30 days) is forgotten.
    """
    generators(status: GeneratorStatus, first: Int = 100, after: String): GeneratorConnection!
  }
`;
