import { setTimeout as sleep } from 'node:timers/promises';
import { writerGroup, type Bus, type Positions, type TopicKind } from '../common/bus/bus.js';
import { logger } from '../common/log.js';
import type { Warehouse } from '../common/warehouse/warehouse.js';
import type { HeldAlarm } from './engine.js';
import type { AlarmStore } from './store.js';
import { loadUves, type UveSnapshot } from './uve-load.js';

const log = logger('alarms');

/** The topics the engine's UVE state is made of, as the writer stores them. */
const SOURCES: readonly TopicKind[] = ['uves', 'generators'];
/** How often a wait for the writer says so. */
const TELL_EVERY_MS = 10_000;

/**
 * Where an engine instance takes the UVEs it comes to own from (at start, or from an instance that
 * left or died): the warehouse, once it holds all that instance may have evaluated.
 */
export interface Restore {
  /**
   * Resolves once the writer has stored everything the bus held when called. Whatever an engine
   * instance evaluated before came from it: the warehouse then lacks none of it, and the state
   * loaded next is no older than the one the previous owner left (rejects when `signal` aborts).
   */
  writerCaughtUp(signal: AbortSignal): Promise<void>;
  uves(): Promise<UveSnapshot>;
  alarms(): Promise<HeldAlarm[]>;
}

export function warehouseRestore(bus: Bus, warehouse: Warehouse, store: AlarmStore): Restore {
  return {
    writerCaughtUp: (signal) => writerCaughtUp(bus, signal),
    uves: () => loadUves(warehouse),
    alarms: () => store.held(),
  };
}

async function writerCaughtUp(bus: Bus, signal: AbortSignal): Promise<void> {
  const ends = await Promise.all(SOURCES.map((kind) => bus.ends(kind)));
  const began = Date.now();
  let told = began;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    const behind = await Promise.all(
      SOURCES.map(async (kind, i) => unstored(ends[i]!, await bus.committed(kind, writerGroup(kind)))),
    );
    if (behind.every((n) => n === 0)) return;
    if (Date.now() - told >= TELL_EVERY_MS) {
      told = Date.now();
      log.warn(
        { groups: SOURCES.map(writerGroup), behind, waitedMs: told - began },
        'the alarm engine waits for the writer to store what it may have evaluated before restoring UVEs',
      );
    }
    await sleep(wait, undefined, { signal });
  }
}

/** How far the group's positions are below the ends, summed over partitions. */
function unstored(ends: Positions, committed: Positions): number {
  let behind = 0;
  for (const [partition, end] of ends) behind += Math.max(0, end - (committed.get(partition) ?? 0));
  return behind;
}
