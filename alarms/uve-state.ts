import { aggregateUve, compare, type AggregatedUve, type UvePart } from '../common/model/uve-aggregate.js';

/** A UVE's identity as the engine keys it: `type:name` (a type has no ':', the collector checks). */
export const uveKey = (type: string, name: string): string => `${type}:${name}`;

export function splitUveKey(key: string): { type: string; name: string } {
  const colon = key.indexOf(':');
  return { type: key.slice(0, colon), name: key.slice(colon + 1) };
}

/** A UVE's part as the warehouse stores it. */
export interface StoredPart {
  type: string;
  name: string;
  part: UvePart;
}

/** One UVE record as the engine applies it: the part it sets, or removes when `deleted`. */
export interface UveChange {
  type: string;
  name: string;
  deleted: boolean;
  /** Its time is when the collector received it (µs), as the warehouse orders parts. */
  part: UvePart;
}

/**
 * What `apply` did to a UVE: `changed` it (its parts may be the same as before: a UVE is evaluated
 * whenever a record reaches it, so that a redelivery evaluates again what a failed store lost), or
 * left it `gone` (its last part deleted: the UVE no longer exists). `ignored`: already reflected.
 */
export type Applied = 'changed' | 'gone' | 'ignored';

/**
 * The live parts of every UVE, as the warehouse's `uve_latest` and the query API see them: per
 * (UVE, struct, generator) the newest part by the collector's time of receipt, none after a deletion,
 * none of a generator received before its latest withdrawal. Records are applied by those times, not
 * by arrival, so the UVE and generator topics, read apart, and a redelivery after a restart leave
 * the same state whatever their order.
 */
export class UveState {
  /** UVE key → `struct\ngenerator` → part. */
  private readonly uves = new Map<string, Map<string, UvePart>>();
  /** Generator → the UVEs it holds parts of. */
  private readonly byGenerator = new Map<string, Set<string>>();
  /** Generator → its latest withdrawal (µs). */
  private readonly withdrawn = new Map<string, number>();
  /**
   * Generator → the oldest receipt time of its records still to apply (µs). A generator's records
   * reach the engine in order, each batch's at one time; one older than a record applied, or than
   * the newest the warehouse held when the state was loaded, is in the state already: a batch the
   * engine's first stage published twice (it died before committing), or redelivered after a
   * restart. A deletion is forgotten with its part; this keeps it from coming back.
   */
  private readonly floor = new Map<string, number>();
  /**
   * UVE key → struct → its aggregated attributes, until a part of that struct changes: a change
   * touches one struct of a UVE (a vRouter's NodeStatus), and its other structs (the large
   * VrouterAgent, …) need not be combined again at every evaluation.
   */
  private readonly structs = new Map<string, Map<string, Record<string, unknown>>>();

  /**
   * The state the warehouse holds: the newest part of each (UVE, struct, generator) that is not a
   * deletion (those of withdrawn generators are left out here), each generator's latest withdrawal,
   * and the newest record of each generator, deletions included.
   */
  static of(
    parts: readonly StoredPart[],
    withdrawals: ReadonlyMap<string, number>,
    newest: ReadonlyMap<string, number>,
  ): UveState {
    const state = new UveState();
    for (const [generator, time] of withdrawals) state.withdrawn.set(generator, time);
    for (const { type, name, part } of parts) {
      if (part.time > (withdrawals.get(part.generator) ?? -1)) state.set(uveKey(type, name), part);
    }
    for (const [generator, time] of newest) state.floor.set(generator, time + 1);
    return state;
  }

  apply(change: UveChange): Applied {
    const { generator, time } = change.part;
    if (time < (this.floor.get(generator) ?? 0) || time <= (this.withdrawn.get(generator) ?? -1))
      return 'ignored';
    this.floor.set(generator, time);
    const key = uveKey(change.type, change.name);
    const held = this.uves.get(key)?.get(partId(change.part));
    if (held !== undefined && held.time > time) return 'ignored';
    if (!change.deleted) {
      this.set(key, change.part);
      return 'changed';
    }
    this.remove(key, change.part);
    return this.uves.has(key) ? 'changed' : 'gone';
  }

  /** Withdraws a generator's parts received before `time`; returns the UVEs that lost any. */
  withdraw(generator: string, time: number): string[] {
    if (time <= (this.withdrawn.get(generator) ?? -1)) return [];
    this.withdrawn.set(generator, time);
    const touched: string[] = [];
    for (const key of [...(this.byGenerator.get(generator) ?? [])]) {
      const stale = [...(this.uves.get(key)?.values() ?? [])].filter(
        (part) => part.generator === generator && part.time <= time,
      );
      for (const part of stale) this.remove(key, part);
      if (stale.length > 0) touched.push(key);
    }
    return touched;
  }

  /** The UVE aggregated as the query API shows it; the empty UVE when it has no live part. */
  aggregated(key: string): AggregatedUve {
    const parts = this.uves.get(key);
    if (parts === undefined) return {};
    const structs = this.structs.get(key) ?? new Map<string, Record<string, unknown>>();
    this.structs.set(key, structs);
    const stale = [...parts.values()].filter((part) => !structs.has(part.struct));
    for (const [struct, attributes] of Object.entries(aggregateUve(stale))) structs.set(struct, attributes);
    return Object.fromEntries([...structs].sort(([a], [b]) => compare(a, b)));
  }

  keys(): IterableIterator<string> {
    return this.uves.keys();
  }

  private set(key: string, part: UvePart): void {
    const parts = this.uves.get(key) ?? new Map<string, UvePart>();
    parts.set(partId(part), part);
    this.uves.set(key, parts);
    this.structs.get(key)?.delete(part.struct);
    const keys = this.byGenerator.get(part.generator) ?? new Set<string>();
    keys.add(key);
    this.byGenerator.set(part.generator, keys);
  }

  private remove(key: string, part: UvePart): void {
    const parts = this.uves.get(key);
    if (parts === undefined) return;
    parts.delete(partId(part));
    this.structs.get(key)?.delete(part.struct);
    if (![...parts.values()].some((p) => p.generator === part.generator)) {
      const keys = this.byGenerator.get(part.generator);
      keys?.delete(key);
      if (keys?.size === 0) this.byGenerator.delete(part.generator);
    }
    if (parts.size === 0) {
      this.uves.delete(key);
      this.structs.delete(key);
    }
  }
}

const partId = (part: UvePart): string => `${part.struct}\n${part.generator}`;
