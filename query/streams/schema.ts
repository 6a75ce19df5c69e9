/**
 * The live streams of the GraphQL API (subscriptions, over SSE and WebSocket): flows as they are
 * acked, UVE changes and generator session events, fed from the bus; alarm transitions as the
 * engine stores them.
 */
export const streamsTypeDefs = /* GraphQL */ `
  "One update of a UVE struct as a generator sent it, with its UVE."
  type UveChange {
    type: String!
    name: String!
    time: DateTime!
    receivedAt: DateTime!
    generator: String!
    struct: String!
    "A deletion withdraws this generator's part of the struct."
    deleted: Boolean!
    attributes: JSON
  }

  "A generator's session event, as the collector records it."
  type GeneratorEvent {
    time: DateTime!
    "source:node_type:module:instance_id"
    generator: String!
    event: GeneratorStatus!
    epoch: String!
    peer: String!
  }

  """
  Live streams, from the moment of subscribing (nothing is replayed). A subscriber that reads more
  slowly than events come is cut off once more than --query-subscription-queue events would wait
  for it: its last event is an error (extensions.code QUERY_TOO_EXPENSIVE, extensions.reason slow).
  """
  type Subscription {
    """
    Flows as the collector acks them, with the workload identity the stored flows get. filter,
    exclude and where (the filter language) as the flows query takes them.
    """
    flows(filter: [FlowFilter!], exclude: [FlowFilter!], where: String): Flow!
    "UVE struct updates, of one type or all, whose UVE name matches a glob (* and ?)."
    uveChanges(type: String, match: String = "*"): UveChange!
    "Generators connecting, disconnecting and withdrawn."
    generatorEvents: GeneratorEvent!
    "Alarm transitions as the engine stores them (a second or so later), of one UVE type, UVE name glob or rule."
    alarms(uveType: String, name: String = "*", type: String): AlarmTransition!
  }
`;
