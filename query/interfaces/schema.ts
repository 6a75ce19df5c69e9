/**
 * The interface stats domain of the GraphQL API: rates and increases of the vRouters' cumulative
 * interface counters. Counters are Float: exact up to 2^53, which JSON numbers keep.
 */
export const interfaceStatsTypeDefs = /* GraphQL */ `
  "What interface series are grouped by: the interface (VMI uuid), its VM, virtual network or vRouter."
  enum InterfaceDimension {
    VMI
    VM
    VN
    VROUTER
  }

  """
  Which interfaces to keep. Every field takes a list: an interface matches a field when it matches any
  value, and the filter when it matches every field given. vmi takes VMI uuids; vm, vn and vrouter
  names as the vRouters report them.
  """
  input InterfaceFilter {
    vmi: [String!]
    vm: [String!]
    vn: [String!]
    vrouter: [String!]
  }

  type DropRate {
    "The Tungsten Fabric drop reason, e.g. flow-limit, no-fmd, invalid-source."
    reason: String!
    perSec: Float!
  }

  """
  Rates over one step, summed over the group's interfaces. Each interface's rate is its counters'
  increase over the time its consecutive samples span in the step, as Prometheus' rate(). When its
  bytes, packets or drops in all went down, the interface or its vRouter restarted: every counter
  counts from zero again (a drop reason that alone went down does too). activeFlows is each
  interface's last value.
  """
  type InterfacePoint {
    "The start of the step."
    time: DateTime!
    inBytesPerSec: Float!
    outBytesPerSec: Float!
    inPacketsPerSec: Float!
    outPacketsPerSec: Float!
    dropsPerSec: Float!
    dropsByReason: [DropRate!]!
    activeFlows: Float!
  }

  type InterfaceSeries {
    "The group: a VMI uuid, VM, virtual network or vRouter name, as by says."
    key: String!
    points: [InterfacePoint!]!
  }

  type DropCount {
    reason: String!
    count: Float!
  }

  "Counter increases over a range, summed over the interfaces selected."
  type InterfaceTotals {
    inBytes: Float!
    outBytes: Float!
    inPackets: Float!
    outPackets: Float!
    drops: Float!
    dropsByReason: [DropCount!]!
    "The table that answered: if_stats (raw), if_stats_1m or if_stats_1h."
    table: String!
  }

  type Query {
    """
    Interface rates per group, for the top groups by bytes (in + out) over the range, largest first.
    from/to: RFC 3339 or relative (now, now-15m, now-2h, now-7d); from defaults to an hour before
    to, to to now. step like 30s, 5m, 1h (default: about 300 points over the range). A point needs
    two samples of an interface no further apart than two steps (at least 10 minutes); the first
    may lie that far before from.
    """
    interfaceSeries(
      from: String
      to: String
      step: String
      by: InterfaceDimension! = VMI
      filter: InterfaceFilter
      top: Int = 10
    ): [InterfaceSeries!]!
    "Counter increases over the range, paired as interfaceSeries pairs samples."
    interfaceTotals(from: String, to: String, filter: InterfaceFilter): InterfaceTotals!
  }
`;
