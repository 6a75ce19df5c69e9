/**
 * The fabric simulator (see README.md): `fabric/` the simulated fabric and what it publishes,
 * `sender/` the generator sessions and encoders, `run/` what drives a run. What bin/, bench/ and the
 * end-to-end tests use.
 */
export { simulate } from './run/simulate.js';
export { DEFAULT_BATCH_SIZE, type SimulateOptions } from './run/options.js';
export type { SimulationReport, Totals } from './run/report.js';
export { RateLimiter } from './run/rate-limiter.js';
export { nextEpoch } from './run/streams.js';
export type { PlayedEvent } from './run/state-player.js';
export { formatProgress, formatSummary, progressPrinter } from './run/progress.js';

export { buildTopology } from './fabric/topology/build.js';
export type { Topology } from './fabric/topology/types.js';
export { buildConnections } from './fabric/flows/connections.js';
export { buildFlowPools } from './fabric/flows/templates.js';
export { buildFabricState, type GeneratorState } from './fabric/state/fabric-state.js';
export { buildRoutes, vrfName } from './fabric/state/routes.js';
export { buildInterfaceStats, interfaceRates } from './fabric/state/interface-stats.js';
export { EVENT_KINDS, parseEvents, planEvents, type EventKind, type EventSpec } from './fabric/events.js';
export { createRng, type Rng } from './fabric/random.js';

export { FlowBatchEncoder } from './sender/flow-encoder.js';
export { GeneratorSession } from './sender/generator-session.js';
