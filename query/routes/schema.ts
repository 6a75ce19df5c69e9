/**
 * The routes domain of the GraphQL API: VRF tables as they stood at any instant, derived from route
 * events. Unsigned 32-bit attributes (local pref, MED, label) are Float: GraphQL's Int stops at 2^31.
 * PageInfo is shared by every connection (shared/paging.ts).
 */
export const routesTypeDefs = /* GraphQL */ `
  enum RouteOp {
    ADD
    DELETE
  }

  "One next hop of a path; several in one path = ECMP."
  type RouteNextHop {
    "MPLSoUDP, MPLSoGRE, VXLAN, or empty for a local route."
    tunnelType: String!
    "The tunnel endpoint, IPv4 as a dotted quad; null for a local next hop."
    destination: String
    "MPLS label or VNI."
    label: Float!
    "The local interface, for local routes."
    interface: String!
  }

  "A path in a VRF's table: a prefix as one protocol and peer gave it, with the attributes of its latest add."
  type Route {
    vrf: String!
    "inet, inet6 or evpn."
    family: String!
    "The CIDR as the network and its length (host bits cleared), or the EVPN route string."
    prefix: String!
    protocol: String!
    peer: String!
    localPref: Float!
    med: Float!
    asPath: String!
    communities: [String!]!
    originVn: String!
    "The generator (control node) whose table holds this path: each keeps its own, as in Tungsten Fabric."
    generator: String!
    "Time of the event that made this path what it is (its latest add)."
    since: DateTime!
    nextHops: [RouteNextHop!]!
  }

  type RouteEdge {
    cursor: String!
    node: Route!
  }

  type RouteConnection {
    "The instant the table is of; every page of one listing keeps the first page's."
    at: DateTime!
    edges: [RouteEdge!]!
    pageInfo: PageInfo!
  }

  type RouteLookup {
    vrf: String!
    address: String!
    at: DateTime!
    "The longest prefix holding the address."
    prefix: String!
    "Every path of that prefix (several protocols or peers), each with its next hops."
    paths: [Route!]!
  }

  "One route event as stored, in the order the table is built from."
  type RouteEventRecord {
    time: DateTime!
    receivedAt: DateTime!
    generator: String!
    vrf: String!
    family: String!
    prefix: String!
    op: RouteOp!
    protocol: String!
    peer: String!
    localPref: Float!
    med: Float!
    asPath: String!
    communities: [String!]!
    originVn: String!
    nextHops: [RouteNextHop!]!
  }

  type RouteCountPoint {
    time: DateTime!
    value: Int!
  }

  "Routes one generator (control node) held in one VRF over time."
  type RouteCountSeries {
    vrf: String!
    generator: String!
    "Seconds between points."
    step: Int!
    points: [RouteCountPoint!]!
  }

  type Query {
    """
    The table of one VRF (its fq name) as it stood at \`at\` (RFC 3339 or like now-15m; default now) on
    the collector's clock: events count from when they arrived, so a resync after a reconnect counts
    then, and a control node withdrawn (gone past the grace period) takes its table along until it resends.
    ordered by prefix (IPv4 numerically, then IPv6, then EVPN), protocol, peer and generator. prefix:
    only routes inside this CIDR (IPv4 or IPv6), the CIDR itself included. generator: only the table of
    this control node. Pages after the first (after) keep the first page's instant, so a listing is of
    one table.
    """
    routes(
      vrf: String!
      at: String
      prefix: String
      generator: String
      first: Int = 100
      after: String
    ): RouteConnection!
    "Longest prefix match of an IPv4 or IPv6 address in a VRF at \`at\` (default now); null when no route holds it."
    routeLookup(vrf: String!, address: String!, at: String): RouteLookup
    """
    The events of one prefix (a CIDR, or an EVPN route string) in time order, the first \`first\` of
    [from, to). from defaults to the start of the stored history, to to now.
    """
    routeHistory(
      vrf: String!
      prefix: String!
      from: String
      to: String
      first: Int = 100
    ): [RouteEventRecord!]!
    """
    Routes present per VRF and generator at every multiple of step (like 1m, 1h; default about 300 points) from
    \`from\` to \`to\` (default the last hour), and at \`to\` itself when it is not one (the count then, the step
    under way). vrf: only these VRFs (default all).
    """
    routeCounts(from: String, to: String, step: String, vrf: [String!]): [RouteCountSeries!]!
  }
`;
