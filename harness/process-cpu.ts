import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time of processes as Linux counts it (/proc), for the benchmarks' profiles: a process's
 * threads grouped by name (Node's main thread and its libuv pool are `node`, chdb's query threads
 * `ThreadPool`, its merges `MergeMutate`, a JVM's by their own names), the children this process
 * has waited for, and the processes below it to profile.
 */

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** The fields after the command name of a /proc stat line (the name may hold spaces and parentheses). */
const statFields = (line: string): string[] => line.slice(line.lastIndexOf(')') + 2).split(' ');

/** CPU seconds (user + system) of each thread name of process `pid` so far. */
export function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // Pools number their threads (ThreadPool, QueryPipelineEx…): one name for all of them.
    const name = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')')).replace(/\d+$/, '');
    const fields = statFields(line);
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
    byName.set(name, (byName.get(name) ?? 0) + seconds);
  }
  return byName;
}

/** What each thread name used between two readings, busiest first, names under `min` seconds left out. */
export function cpuBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  min = 0.05,
): [string, number][] {
  return [...after]
    .map(([name, seconds]): [string, number] => [name, seconds - (before.get(name) ?? 0)])
    .filter(([, seconds]) => seconds >= min)
    .sort((a, b) => b[1] - a[1]);
}

/** CPU seconds of this process's children that have exited and been waited for. */
export function exitedChildrenCpu(): number {
  const fields = statFields(readFileSync('/proc/self/stat', 'utf8'));
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/** The parent of process `pid`, or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    return Number(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[1]);
  } catch {
    return undefined;
  }
}

/** A process below this one (a child's child included) whose command is `name`, if any. */
export function descendantNamed(name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (comm !== name) continue;
    for (let up = parentOf(pid); up !== undefined && up > 1; up = parentOf(up))
      if (up === process.pid) return pid;
  }
  return undefined;
}
