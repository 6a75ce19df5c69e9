import { flowFieldTypeDefs } from './fields.js';
import { ruleTypeDefs } from './rules.js';

/** The filter language argument of every flow field (common/sql/flows/language/, README "Filter language"). */
const whereArgument = `"""
      A filter in the filter language, ANDed with filter and exclude, e.g.
      src.namespace = "payments" and action = deny and dst.port in (80, 443) and not dst.ip << 10.0.0.0/8.
      Fields as FlowFilter's with src./dst. for source/dest (src.port, dst.ip, vn, drop_reason, …);
      operators = != < <= > >= in (…) not in (…) << !<< (in a CIDR) ~ !~ (glob) like, not like (SQL
      LIKE); and, or, not, parentheses. An error names the line:column and what was expected.
      """
      where: String`;

/**
 * The flows domain of the GraphQL API; FlowDimension, FlowFilter and Flow come from the flow catalog
 * (fields.ts). Counters are Float: exact up to 2^53, which JSON numbers keep.
 */
export const flowsTypeDefs = /* GraphQL */ `
  ${flowFieldTypeDefs}
  ${ruleTypeDefs}
  enum FlowMetric {
    RECORDS
    BYTES
    PACKETS
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
    defaults to an hour before to, to to now. filter: OR of filters; exclude: drop what matches any;
    where: the filter language, which must hold too. Every flow field takes the three.
    """
    flows(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      ${whereArgument}
      first: Int = 100
      after: String
    ): FlowConnection!
    flowTotals(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      ${whereArgument}
    ): FlowTotals!
    "Top groups by metric over any flow dimensions."
    flowGroups(
      from: String
      to: String
      filter: [FlowFilter!]
      exclude: [FlowFilter!]
      ${whereArgument}
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
      ${whereArgument}
      by: [FlowDimension!] = []
      metric: FlowMetric = BYTES
      top: Int = 10
      step: String
    ): FlowSeriesResult!
  }
`;
