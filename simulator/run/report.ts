import type { StateKind } from '../fabric/records.js';
import type { PlayedEvent } from './state-player.js';

/** What a run reports, as it goes (onProgress) and at its end. */

export interface Totals {
  records: number;
  bytes: number;
  packets: number;
}

export interface SimulationReport {
  sent: number; // records sent the first time
  acked: number; // records stored: accepted by OK acks plus those of DUPLICATE acks
  rejected: number;
  duplicates: number; // records in DUPLICATE acks (stored earlier)
  resent: number; // records sent again after a reconnect or UNAVAILABLE
  elapsedMs: number;
  ackedPerSecond: number;
  /** bytes/packets = Σ diff_bytes·max(sampling,1), Σ diff_packets·max(sampling,1) of acked records. */
  ackedTotals: Totals;
  ackedByVrouter: Record<string, Totals>;
  ackedByAction: Record<string, Totals>;
  /** Records of the other kinds sent the first time, and stored (OK or DUPLICATE acks, minus rejections). */
  sentByKind: Record<StateKind, number>;
  ackedByKind: Record<StateKind, number>;
  interfaceStatsSamples: number;
  events: PlayedEvent[];
}
