/** UVE records as a vRouter agent sends them, shared by the end-to-end tests. */
export const podNetwork = 'default-domain:k8s-default:k8s-default-pod-network';
const SUM = 1;

/** A vRouter's UveVirtualNetworkAgent part for the pod network; in_bytes is summed across vRouters. */
export const vnPart = (inBytes: number) => ({
  type: 'virtual-network',
  name: podNetwork,
  struct_type: 'UveVirtualNetworkAgent',
  attributes_json: JSON.stringify({ in_bytes: inBytes }),
  aggregation: { in_bytes: { agg: SUM } },
});

/** The interface of pod web-1 in namespace payments, as the vRouter hosting it reports it. */
export const webInterface = {
  type: 'virtual-machine-interface',
  name: 'default-domain:k8s-payments:5b0c7d8e-0000-4000-8000-000000000001',
  struct_type: 'UveVMInterfaceAgent',
  attributes_json: JSON.stringify({
    vm_name: 'web-1',
    virtual_network: podNetwork,
    ip_address: '10.32.0.5',
    ip6_address: '',
    vrouter: 'compute-a',
    namespace: 'payments',
    workload_kind: 'pod',
    labels: { app: 'web', tier: 'front' },
  }),
};

/** The aggregated in_bytes of the pod network's UveVirtualNetworkAgent, or undefined when it has no live part. */
export const podNetworkInBytesQuery = `{ uve(type: "virtual-network", name: "${podNetwork}") { value } }`;
export type PodNetworkAnswer = { uve: { value: { UveVirtualNetworkAgent: { in_bytes: number } } } | null };
