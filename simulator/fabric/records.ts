import {
  PayloadField,
  type InterfaceStats,
  type PayloadKind,
  type RouteEvent,
  type UveUpdate,
} from '../../common/proto.js';

/**
 * The low-volume records a generator publishes besides flows: the contract's generated messages
 * (common/proto.ts), built with `create` so that they encode as they are and a test can compare them
 * with what it decodes.
 */

/** The Batch payloads other than flows, by their .proto names (as PayloadKind names them). */
export type StateKind = Exclude<PayloadKind, 'flows'>;
export const STATE_KINDS: readonly StateKind[] = (Object.keys(PayloadField) as PayloadKind[]).filter(
  (kind): kind is StateKind => kind !== 'flows',
);

/** The record each state payload carries. */
export interface StateRecordOf {
  uves: UveUpdate;
  routes: RouteEvent;
  interface_stats: InterfaceStats;
}
