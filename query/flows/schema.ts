/** The flows domain of the GraphQL API. Counters are Float: exact up to 2^53, which JSON numbers keep. */
export const flowsTypeDefs = /* GraphQL */ `
  enum FlowDimension {
    VROUTER
    SOURCE_VN
    DEST_VN
    SOURCE_IP
    DEST_IP
    SOURCE_PORT
    DEST_PORT
    PROTOCOL
    ACTION
    DIRECTION
    DROP_REASON
    SOURCE_NAMESPACE
    DEST_NAMESPACE
    SOURCE_WORKLOAD
    DEST_WORKLOAD
    SOURCE_LABELS
    DEST_LABELS
    UNDERLAY_PROTO
    SG_RULE_UUID
    NW_ACE_UUID
    VROUTER_IP
    OTHER_VROUTER_IP
  }

  enum FlowMetric {
    RECORDS
    BYTES
    PACKETS
  }

  """
  Which flows to keep. Every field takes a list: a flow matches a field when it matches any value, and
  the filter when it matches every field given. Fields named without source/dest match either end.
  IPs take an address or a CIDR prefix (IPv4 or IPv6). protocol takes a number or tcp, udp, icmp,
  icmp6, sctp, gre, esp; action pass, deny, drop, nat, mirror; direction ingress, egress.
  """
  input FlowFilter {
    vrouter: [String!]
    sourceVn: [String!]
    destVn: [String!]
    vn: [String!]
    sourceIp: [String!]
    destIp: [String!]
    ip: [String!]
    sourcePort: [Int!]
    destPort: [Int!]
    port: [Int!]
    protocol: [String!]
    action: [String!]
    direction: [String!]
    dropReason: [String!]
    sourceNamespace: [String!]
    destNamespace: [String!]
    namespace: [String!]
    sourceWorkload: [String!]
    destWorkload: [String!]
    workload: [String!]
    "Label selectors: key=value, or key alone for any value."
    sourceLabel: [String!]
    destLabel: [String!]
    label: [String!]
    underlayProto: [String!]
  }

  "One flow sample as a vRouter exported it (Tungsten Fabric's FlowRecordTable)."
  type Flow {
    time: DateTime!
    receivedAt: DateTime!
    generator: String!
    flowUuid: String!
    reverseUuid: String!
    vrouter: String!
    vrouterIp: String!
    otherVrouterIp: String!
    direction: String!
    action: String!
    sourceVn: String!
    destVn: String!
    sourceIp: String!
    destIp: String!
    protocol: Int!
    sourcePort: Int!
    destPort: Int!
    dropReason: String!
    sgRuleUuid: String!
    nwAceUuid: String!
    vmiUuid: String!
    setupTime: DateTime!
    teardownTime: DateTime
    bytes: Float!
    packets: Float!
    diffBytes: Float!
    diffPackets: Float!
    tcpFlags: Int!
    underlayProto: String!
    underlaySourcePort: Int!
    sampling: Int!
    sourceWorkload: String!
    destWorkload: String!
    sourceNamespace: String!
    destNamespace: String!
    "Workload labels (Kubernetes labels), from the interface's UVE."
    sourceLabels: JSON!
    destLabels: JSON!
  }

  type FlowEdge {
    cursor: String!
    node: Flow!
  }

  type FlowConnection {
    edges: [FlowEdge!]!
    pageInfo: PageInfo!
  }

  "records = flow samples; bytes and packets are the sampled deltas scaled by the sampling factor."
  type FlowTotals {
    records: Float!
    bytes: Float!
    packets: Float!
    "The table that answered: flows (raw), flows_1m or flows_1h."
    table: String!
  }

  type FlowGroup {
    "The group's values, in the order of by."
    keys: [String!]!
    records: Float!
    bytes: Float!
    packets: Float!
  }

  type FlowGroups {
    table: String!
    groups: [FlowGroup!]!
  }

  type FlowPoint {
    time: DateTime!
    value: Float!
  }

  type FlowSeries {
    keys: [String!]!
    points: [FlowPoint!]!
  }

  type FlowSeriesResult {
    "Seconds per point."
    step: Int!
    table: String!
    series: [FlowSeries!]!
  }

  type Query {
    """
    Flow records, newest first. from/to: RFC 3339 or relative (now, now-15m, now-2h, now-7d); from
    defaults to an hour before to, to to now. filter: OR of filters; exclude: drop what matches any.
    """
    flows(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      first: Int = 100
      after: String
    ): FlowConnection!
    flowTotals(from: String, to: String, filter: [FlowFilter!], exclude: [FlowFilter!]): FlowTotals!
    "Top groups by metric over any flow dimensions."
    flowGroups(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      by: [FlowDimension!]!
      metric: FlowMetric = BYTES
      top: Int = 10
    ): FlowGroups!
    "A series per top group; step like 30s, 5m, 1h (default: about 300 points over the range)."
    flowSeries(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      by: [FlowDimension!] = []
      metric: FlowMetric = BYTES
      top: Int = 10
      step: String
    ): FlowSeriesResult!
  }
`;
