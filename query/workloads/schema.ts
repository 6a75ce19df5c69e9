/** The workloads domain: pods, VMs and services by name, glob or address, with their placement. */
export const workloadsTypeDefs = /* GraphQL */ `
  enum WorkloadKind {
    POD
    VM
    SERVICE
  }

  "A pod, VM or Kubernetes service, and where it sits in the fabric."
  type Workload {
    kind: WorkloadKind!
    name: String!
    "Kubernetes namespace or OpenStack project."
    namespace: String!
    "The TF project's fq name."
    project: String!
    "Its addresses (a service: its VIP)."
    addresses: [String!]!
    vn: String!
    "The VN's routing instance."
    vrf: String!
    "The vRouter hosting its interface; null for a service."
    vrouter: String
    "The interface UVE's name (<project>:<uuid>); null for a service."
    vmi: String
    vmiUuid: String
    "The security groups of its interface (fq names)."
    securityGroups: [String!]!
    labels: JSON!
    "Whether the vRouter reports its interface active; null for a service."
    interfaceActive: Boolean
    "A service's backends' addresses."
    backends: [String!]!
  }

  "An address held in more than one virtual network."
  type SharedAddress {
    address: String!
    vns: [String!]!
  }

  type WorkloadLookup {
    matches: [Workload!]!
    "Addresses among the matches held in several virtual networks: name the VN to tell them apart."
    sharedAddresses: [SharedAddress!]!
    notes: [String!]!
  }

  type Query {
    """
    Workloads by what people call them. match: a name or glob (web-*), or namespace/name; ip: an
    address (a pod's, a VM's or a service's VIP); vn, namespace, project (fq name or its last part)
    narrow. Every argument given must match.
    """
    workloads(match: String, ip: String, vn: String, namespace: String, project: String): WorkloadLookup!
  }
`;
