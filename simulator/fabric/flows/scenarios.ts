import type { Rng } from '../random.js';

/** The kinds of flow the fabric carries, each decided by the policy model as the README describes. */
export type Scenario =
  | 'same-namespace'
  | 'cross-namespace'
  | 'service-ecmp'
  | 'vm-to-vm'
  | 'ipv6'
  | 'isolated-egress'
  | 'isolated-ingress-denied'
  | 'isolated-service-open'
  | 'isolated-service-closed'
  | 'openstack-k8s-allowed'
  | 'openstack-k8s-denied'
  | 'network-policy-allowed'
  | 'network-policy-denied'
  | 'no-route';

/** Relative share of each scenario in the flow mix: mostly allowed traffic, some denials. */
export const SCENARIO_WEIGHTS: Readonly<Record<Scenario, number>> = {
  'same-namespace': 30,
  'cross-namespace': 15,
  'service-ecmp': 20,
  'vm-to-vm': 8,
  ipv6: 6,
  'isolated-egress': 4,
  'isolated-ingress-denied': 3,
  'isolated-service-open': 3,
  'isolated-service-closed': 2,
  'openstack-k8s-allowed': 2,
  'openstack-k8s-denied': 3,
  'network-policy-allowed': 3,
  'network-policy-denied': 3,
  'no-route': 1,
};

/** A scenario drawn by weight (`total` is the sum of the scenarios' weights). */
export function weightedPick(rng: Rng, scenarios: Scenario[], total: number): Scenario {
  let r = rng.next() * total;
  for (const s of scenarios) {
    r -= SCENARIO_WEIGHTS[s];
    if (r < 0) return s;
  }
  return scenarios[scenarios.length - 1] ?? 'same-namespace';
}
