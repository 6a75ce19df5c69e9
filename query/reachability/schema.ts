/** The reachability domain: can A reach B, and what decided, in one answer. */
export const reachabilityTypeDefs = /* GraphQL */ `
  enum ReachabilityVerdict {
    ALLOWED
    DENIED
    DROPPED
    NO_FLOWS
  }

  "Which vRouter a verdict was taken on: the source's, the destination's, both (one vRouter hosts both), another."
  enum VerdictSide {
    SOURCE
    DESTINATION
    LOCAL
    OTHER
  }

  type VrouterState {
    name: String!
    "The agent's latest session event: connected, disconnected, withdrawn (unknown: never seen)."
    status: String!
    connected: Boolean!
    "Interfaces its agent reports down."
    downInterfaces: Int!
  }

  type ReachabilityEndpoint {
    "As given."
    given: String!
    "The address the flows were looked up by."
    address: String!
    "Null for an address no workload holds."
    workload: Workload
    vrouter: VrouterState
    interfaceActive: Boolean
    "The interface's drops over the range, by reason, from its counters; null for a service or an address."
    interfaceDrops: JSON
    "Alarms shown on its vRouter, interface and network."
    alarms: [Alarm!]!
  }

  "The flows of one direction that one vRouter decided alike."
  type VerdictGroup {
    vrouter: String!
    side: VerdictSide!
    "The record's direction there: ingress (from a local interface) or egress (towards one)."
    direction: String!
    action: String!
    dropReason: String!
    records: Float!
    "Scaled by sampling."
    packets: Float!
    lastSeen: DateTime!
    sgRuleUuid: String!
    nwAceUuid: String!
    sgRule: RuleRef
    nwAce: RuleRef
    "The reverse half of connections opened the other way (DROP_REVERSE_* reasons)."
    reverseHalf: Boolean!
  }

  type ReachabilityDirection {
    from: String!
    to: String!
    records: Float!
    verdict: ReachabilityVerdict!
    explanation: String!
    verdicts: [VerdictGroup!]!
    "The source's routing instance, which the route is looked up in."
    routeVrf: String
    "The instant the route is read as of: the direction's newest flow, else the end of the range."
    routeAt: DateTime!
    "The longest prefix match of the destination there; null when none."
    route: RouteLookup
  }

  type Reachability {
    from: DateTime!
    to: DateTime!
    source: ReachabilityEndpoint!
    destination: ReachabilityEndpoint!
    "The verdict from source to destination."
    verdict: ReachabilityVerdict!
    summary: String!
    forward: ReachabilityDirection!
    reverse: ReachabilityDirection!
    "Both directions in a sentence each."
    explanation: String!
  }

  type Query {
    """
    Whether source reaches destination over [from, to) (from: an hour before to; to: now) and what
    decided. Endpoints: an IP, namespace/pod, project/vm, a service (namespace/name), or a VMI (uuid or
    UVE name). An address in two networks must be named by its workload.
    """
    reachability(source: String!, destination: String!, from: String, to: String): Reachability!
  }
`;
