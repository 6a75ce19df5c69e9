import type { FabricNode } from './fabric-nodes.js';

/**
 * What is wrong with the fabric at one moment: the faults events have put in and not yet taken out.
 * Every struct a fault touches is built from it (NodeStatus, BgpRouterState, VrouterAgent, a VMI's
 * UveVMInterfaceAgent), so faults that overlap compose, and the healthy fabric is the empty
 * condition. Events apply their changes in time order to one condition (fabric/events.ts).
 */
export interface FabricCondition {
  /** When the fabric's state was first published; the nodes booted some days before. */
  readonly sinceUs: number;
  /** Supervisor records that differ from a process running since boot, by `host/process`. */
  processes: Map<string, ProcessRecord>;
  /** Hosts whose data partition is fuller than usual: its percentage used. */
  diskUsed: Map<string, number>;
  /** Per host: the core files in /var/crashes. */
  cores: Map<string, string[]>;
  /** Per control node: the SDN gateways whose BGP session is down. */
  bgpDown: Map<string, Set<string>>;
  /** vRouters whose XMPP sessions to the control nodes are down. */
  xmppDown: Set<string>;
  /** Per vRouter: the uuids of its interfaces (VMIs) that are down. */
  interfacesDown: Map<string, Set<string>>;
  /** Per vRouter: the resources it uses beyond their watermark, and those whose table is full. */
  limits: Map<string, { watermark: string[]; full: string[] }>;
}

type ProcessState = 'PROCESS_STATE_RUNNING' | 'PROCESS_STATE_STOPPED' | 'PROCESS_STATE_EXITED';

/** A process as its node's supervisor records it (TF ProcessInfo). */
export interface ProcessRecord {
  state: ProcessState;
  startCount: number;
  stopCount: number;
  exitCount: number;
  lastStartUs: number;
  lastStopUs?: number;
  lastExitUs?: number;
  /** Core files it left. */
  cores: string[];
}

export const healthyCondition = (sinceUs: number): FabricCondition => ({
  sinceUs,
  processes: new Map(),
  diskUsed: new Map(),
  cores: new Map(),
  bgpDown: new Map(),
  xmppDown: new Set(),
  interfacesDown: new Map(),
  limits: new Map(),
});

const DAY_US = 86_400_000_000;

/** Nodes booted three days (and a few minutes apart, by index) before the state was first published. */
const bootedAt = (c: FabricCondition, node: FabricNode): number =>
  c.sinceUs - 3 * DAY_US - node.index * 7 * 60_000_000;

/** The process's record: running since boot (the supervisor starts them 2 s apart) unless changed. */
export function processRecord(c: FabricCondition, node: FabricNode, process: string): ProcessRecord {
  const changed = c.processes.get(`${node.host}/${process}`);
  if (changed) return changed;
  const order = Math.max(0, node.processes.indexOf(process));
  const lastStartUs = bootedAt(c, node) + (order + 1) * 2_000_000;
  return {
    state: 'PROCESS_STATE_RUNNING',
    startCount: 1,
    stopCount: 0,
    exitCount: 0,
    lastStartUs,
    cores: [],
  };
}

function update(
  c: FabricCondition,
  node: FabricNode,
  process: string,
  change: (r: ProcessRecord) => Partial<ProcessRecord>,
): void {
  const record = processRecord(c, node, process);
  c.processes.set(`${node.host}/${process}`, { ...record, ...change(record) });
}

/** The process died (leaving `core`, if given); its supervisor has not restarted it yet. */
export function processExited(
  c: FabricCondition,
  node: FabricNode,
  process: string,
  atUs: number,
  core?: string,
): void {
  update(c, node, process, (r) => ({
    state: 'PROCESS_STATE_EXITED',
    exitCount: r.exitCount + 1,
    lastExitUs: atUs,
    cores: core === undefined ? r.cores : [...r.cores, core],
  }));
  if (core !== undefined) c.cores.set(node.host, [...(c.cores.get(node.host) ?? []), core]);
}

/** The process was stopped on purpose (a restart of the node's services). */
export function processStopped(c: FabricCondition, node: FabricNode, process: string, atUs: number): void {
  update(c, node, process, (r) => ({
    state: 'PROCESS_STATE_STOPPED',
    stopCount: r.stopCount + 1,
    lastStopUs: atUs,
  }));
}

export function processStarted(c: FabricCondition, node: FabricNode, process: string, atUs: number): void {
  update(c, node, process, (r) => ({
    state: 'PROCESS_STATE_RUNNING',
    startCount: r.startCount + 1,
    lastStartUs: atUs,
  }));
}

/** An operator removed the core file from the node (and from its process's record). */
export function coreRemoved(c: FabricCondition, node: FabricNode, process: string, core: string): void {
  update(c, node, process, (r) => ({ cores: r.cores.filter((f) => f !== core) }));
  c.cores.set(
    node.host,
    (c.cores.get(node.host) ?? []).filter((f) => f !== core),
  );
}

/** Adds or removes `item` in the set kept under `key`, dropping a set that becomes empty. */
export function toggle<T>(sets: Map<string, Set<T>>, key: string, item: T, present: boolean): void {
  const set = new Set(sets.get(key));
  if (present) set.add(item);
  else set.delete(item);
  if (set.size > 0) sets.set(key, set);
  else sets.delete(key);
}
