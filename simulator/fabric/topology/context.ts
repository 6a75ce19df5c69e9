import type { Rng } from '../random.js';
import type { Allocator } from './ipams.js';
import type { Topology } from './types.js';

/**
 * What the topology's builders share while they build: the topology so far, the address allocators,
 * the service IPs taken, and one PRNG, whose draws in build order make a seed's fabric.
 */
export interface BuildContext {
  rng: Rng;
  topo: Topology;
  ipams: Map<string, Allocator>;
  serviceIps: Set<string>;
}
