import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { FabricError, errorMessage } from '../errors.js';
import { logger } from '../log.js';
import { counter, histogram } from '../metrics.js';
import type { BusMessage } from './bus.js';
import { encodeFrame, scanSegment, segmentBase, segmentName } from './log-segment.js';

const log = logger('bus');
const tornTails = counter(
  'fabricscope_bus_log_torn_tails_total',
  'Torn tails cut off a bus log at start: the partial append of a crash, never acked',
  ['topic'],
);

const appendSeconds = histogram(
  'fabricscope_bus_log_append_duration_seconds',
  'Time of one append to the bus log, write and fsync: what an embedded ack waits for',
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ['topic'],
);

/** A message written, at its position in the topic's log. */
export interface Entry {
  offset: number;
  end: number;
  message: BusMessage;
}

/** A consumer group: its committed position, and its consumer while one is subscribed here. */
interface GroupState {
  committed: number;
  consumer: { wake(): void } | undefined;
  /** Its offset file, open from the first position written until the topic closes. */
  offsets?: Promise<FileHandle>;
}

interface Append {
  /** Each message's frame as encodeFrame gives it: head, then value. */
  frames: [Buffer, Buffer][];
  messages: BusMessage[];
  done: (err?: unknown) => void;
}

const OFFSET = '.offset';
const groupName = /^[\w.-]+$/;

/**
 * One topic of the local log: segment files in a folder, appended with group commit, each group's
 * committed position in `<group>.offset`. Messages no group has committed yet are also kept in
 * memory (the bus bounds them), so consumers are fed without reading the files back; the files are
 * read only at start, to replay what the groups had not committed.
 */
export class TopicLog {
  /** Messages from the floor (the lowest committed position) to the written end, in order. */
  private readonly entries: Entry[] = [];
  private readonly groups = new Map<string, GroupState>();
  private pending: Append[] = [];
  private flushing: Promise<void> | undefined;
  private broken: unknown;

  private constructor(
    readonly topic: string,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly account: (bytes: number) => void,
    private segments: number[],
    private file: FileHandle,
    private end: number,
    private floor: number,
  ) {}

  /**
   * Opens the topic's folder, cuts a torn tail off the last segment, and loads the messages some
   * known group has not committed. `account` is told the bytes held for groups as they change: those
   * found at start, each append, and (negative) each advance of the floor.
   */
  static async open(
    dir: string,
    topic: string,
    segmentBytes: number,
    account: (bytes: number) => void,
  ): Promise<TopicLog> {
    await mkdir(dir, { recursive: true });
    const names = await readdir(dir);
    const segments = names.flatMap((n) => segmentBase(n) ?? []).sort((a, b) => a - b);
    if (segments.length === 0) segments.push(0);
    const groups = await readOffsets(dir, names);
    // Positions below the first segment were committed by every group before it was deleted.
    const first = segments[0]!;
    for (const state of groups.values()) state.committed = Math.max(state.committed, first);
    const floor = groups.size > 0 ? Math.min(...[...groups.values()].map((g) => g.committed)) : first;
    const { entries, end } = await replay(dir, topic, segments, floor);
    for (const [group, state] of groups) {
      if (state.committed <= end) continue;
      log.warn({ topic, group, committed: state.committed, end }, 'committed position past the log end');
      state.committed = end;
    }
    const file = await open(join(dir, segmentName(segments.at(-1)!)), 'a');
    const opened = new TopicLog(topic, dir, segmentBytes, account, segments, file, end, Math.min(floor, end));
    for (const [group, state] of groups) opened.groups.set(group, state);
    opened.entries.push(...entries);
    await opened.deleteCommittedSegments();
    account(opened.end - opened.floor);
    return opened;
  }

  /** Where the written messages end: consumers read up to it, fsynced or not yet. */
  get writtenEnd(): number {
    return this.end;
  }

  /**
   * Resolves once the messages are on disk (fsynced), together with the appends that came meanwhile;
   * consumers may read them before (flush says why).
   */
  append(messages: BusMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const frames = messages.map(encodeFrame);
      this.pending.push({ frames, messages, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.flushing ??= this.drain();
    });
  }

  /** Registers a consumer of `group`; it starts at the group's committed position (the floor if new). */
  async join(group: string, consumer: { wake(): void }): Promise<number> {
    if (!groupName.test(group)) {
      throw new FabricError('CONFIG', `bus group "${group}": use letters, digits, '.', '_' and '-' only`);
    }
    const state = this.groups.get(group);
    if (state?.consumer) throw new FabricError('CONFIG', `bus group ${group} already consumes ${this.topic}`);
    if (state) {
      state.consumer = consumer;
      return state.committed;
    }
    const joined: GroupState = { committed: this.floor, consumer };
    this.groups.set(group, joined);
    try {
      // Written at once, so a restart before its first commit still keeps what it has not read.
      await this.writeOffset(group, joined, joined.committed);
    } catch (err) {
      this.groups.delete(group);
      await joined.offsets?.then((file) => file.close()).catch(() => undefined);
      throw err;
    }
    return joined.committed;
  }

  /** The group's committed position; a group never seen starts at the floor. */
  committed(group: string): number {
    return this.groups.get(group)?.committed ?? this.floor;
  }

  /** Groups with uncommitted messages and no consumer here. */
  absentGroups(): string[] {
    return [...this.groups].filter(([, g]) => !g.consumer && g.committed < this.end).map(([name]) => name);
  }

  leave(group: string): void {
    const state = this.groups.get(group);
    if (state) state.consumer = undefined;
  }

  /** The entries from `offset` on, up to about `maxBytes` (at least one). */
  read(offset: number, maxBytes: number): Entry[] {
    let i = this.indexOf(offset);
    const taken: Entry[] = [];
    let bytes = 0;
    for (; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (taken.length > 0 && bytes + entry.end - entry.offset > maxBytes) break;
      taken.push(entry);
      bytes += entry.end - entry.offset;
    }
    return taken;
  }

  /** Makes the group's position durable, then frees what every group has now committed. */
  async commit(group: string, position: number): Promise<void> {
    const state = this.groups.get(group)!;
    await this.writeOffset(group, state, position);
    state.committed = position;
    const floor = Math.min(...[...this.groups.values()].map((g) => g.committed));
    if (floor <= this.floor) return;
    this.entries.splice(0, this.indexOf(floor));
    this.account(this.floor - floor);
    this.floor = floor;
    await this.deleteCommittedSegments();
  }

  /** Writes the group's position in its offset file, opened at the first write (a failed open is tried again). */
  private async writeOffset(group: string, state: GroupState, position: number): Promise<void> {
    state.offsets ??= open(join(this.dir, `${group}${OFFSET}`), constants.O_WRONLY | constants.O_CREAT).catch(
      (err: unknown) => {
        state.offsets = undefined;
        throw err;
      },
    );
    await writePosition(await state.offsets, position);
  }

  /** Waits for the appends under way, then closes the active segment and the offset files. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.file.close();
    for (const group of this.groups.values()) await (await group.offsets?.catch(() => undefined))?.close();
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends until nothing is pending; appends arriving during one fsync share the next. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) await this.flush();
    this.flushing = undefined;
  }

  /**
   * Writes everything pending as one append, hands it to the consumers, then fsyncs it and answers
   * the publishers. Consumers read a message once written, before its fsync, as Kafka's consumers
   * read what the leader has written and not flushed: what they make of it (the warehouse's parts,
   * the alarm engine's rows) is not fsynced either, and the written bytes of a process that dies are
   * the system's to write, so only a crash of the machine could take back a message a consumer read,
   * with the rows made of it. Publishers still wait for the fsync. A UVE change passes two appends
   * before the alarm engine evaluates it (the collector's, the alarm router's): reading before their
   * fsyncs took its ack → evaluated from p50 62–67 to 14–25 ms at 1,690–1,870 changes/s
   * (bench/alarms.ts).
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (this.broken !== undefined) return refuse(batch, this.unwritable(this.broken));
    const stopTimer = appendSeconds.startTimer({ topic: this.topic });
    try {
      await writeAll(
        this.file,
        batch.flatMap((a) => a.frames.flat()),
      );
    } catch (err) {
      await this.undo(err);
      return refuse(batch, this.unwritable(err));
    }
    this.expose(batch);
    try {
      await this.file.datasync();
      stopTimer();
    } catch (err) {
      // Consumers may have read the append already, so it cannot be cut off: no append from now on.
      this.broken = err;
      log.error({ topic: this.topic, err: errorMessage(err) }, 'bus log fsync failed; no appends');
      return refuse(batch, this.unwritable(err));
    }
    // Rolled before the publishers are answered: once a publish resolves, the files are as it left them.
    if (this.end - this.segments.at(-1)! >= this.segmentBytes) await this.roll();
    for (const a of batch) a.done();
  }

  /** Makes a written append readable: its entries, the end after it, and its consumers woken. */
  private expose(batch: Append[]): void {
    let at = this.end;
    for (const a of batch) {
      a.frames.forEach(([head, value], i) => {
        const end = at + head.length + value.length;
        this.entries.push({ offset: at, end, message: a.messages[i]! });
        at = end;
      });
    }
    this.account(at - this.end);
    this.end = at;
    for (const state of this.groups.values()) state.consumer?.wake();
  }

  /** A failed write leaves unknown bytes after the end: cut them, or refuse appends from now. */
  private async undo(err: unknown): Promise<void> {
    log.error({ topic: this.topic, err: errorMessage(err) }, 'bus log append failed');
    try {
      await this.file.truncate(this.end - this.segments.at(-1)!);
    } catch (truncateErr) {
      this.broken = truncateErr;
      log.error(
        { topic: this.topic, err: errorMessage(truncateErr) },
        'bus log cannot be cut back; no appends',
      );
    }
  }

  private unwritable(err: unknown): FabricError {
    return new FabricError('UNAVAILABLE', `bus log of ${this.topic} not written: ${errorMessage(err)}`, {
      cause: err,
    });
  }

  /** Starts a new segment; on failure the current one simply grows until the next try. */
  private async roll(): Promise<void> {
    try {
      const file = await open(join(this.dir, segmentName(this.end)), 'a');
      await syncDir(this.dir);
      await this.file.close();
      this.file = file;
      this.segments.push(this.end);
    } catch (err) {
      log.error({ topic: this.topic, err: errorMessage(err) }, 'bus log segment not rolled');
    }
  }

  /** Deletes the segments (never the active one) that every known group has committed past. */
  private async deleteCommittedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]! <= this.floor) {
      const base = this.segments.shift()!;
      await rm(join(this.dir, segmentName(base)), { force: true });
    }
  }
}

/** Answers each publisher of the appends with the error. */
function refuse(batch: readonly Append[], err: FabricError): void {
  for (const a of batch) a.done(err);
}

/** Reads every segment from the floor on (the last one whole, to find a torn tail); returns the end. */
async function replay(
  dir: string,
  topic: string,
  segments: number[],
  floor: number,
): Promise<{ entries: Entry[]; end: number }> {
  const entries: Entry[] = [];
  let end = segments[0]!;
  for (const [i, base] of segments.entries()) {
    const last = i === segments.length - 1;
    const next = segments[i + 1];
    if (next !== undefined && next <= floor) continue;
    const path = join(dir, segmentName(base));
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT' && last ? Buffer.alloc(0) : Promise.reject(err),
    );
    const scan = scanSegment(bytes, path, last ? 0 : Math.max(0, floor - base), last);
    if (next !== undefined && base + bytes.length !== next) {
      throw new FabricError(
        'INTERNAL',
        `bus log ${path} ends at ${base + bytes.length}, the next segment starts at ${next}`,
      );
    }
    for (const f of scan.frames) {
      if (base + f.start >= floor)
        entries.push({ offset: base + f.start, end: base + f.end, message: f.message });
    }
    if (scan.torn !== undefined) await cutTornTail(path, topic, scan.validEnd, bytes.length, scan.torn);
    end = base + scan.validEnd;
  }
  return { entries, end };
}

async function cutTornTail(
  path: string,
  topic: string,
  at: number,
  size: number,
  why: string,
): Promise<void> {
  log.warn(
    { topic, file: path, at, bytes: size - at, why },
    'cut a torn tail off the bus log (a crash mid-append)',
  );
  tornTails.inc({ topic });
  const file = await open(path, 'r+');
  try {
    await file.truncate(at);
    await file.datasync();
  } finally {
    await file.close();
  }
}

async function readOffsets(dir: string, names: string[]): Promise<Map<string, GroupState>> {
  const groups = new Map<string, GroupState>();
  for (const name of names) {
    // Left by a version that renamed a new file over the old one, cut short: the old one is whole.
    if (name.endsWith(`${OFFSET}.tmp`)) await rm(join(dir, name), { force: true });
    if (!name.endsWith(OFFSET)) continue;
    const path = join(dir, name);
    const text = (await readFile(path, 'utf8')).trim();
    // Created, then the process died before its first position was written: a group never committed.
    if (text === '') continue;
    if (!/^\d+$/.test(text))
      throw new FabricError('INTERNAL', `bus offset file ${path}: "${text}" is no position`);
    groups.set(name.slice(0, -OFFSET.length), { committed: Number(text), consumer: undefined });
  }
  return groups;
}

/** A position's width in an offset file (any safe integer fits): the file never changes size. */
const POSITION_WIDTH = 16;

/**
 * Overwrites the group's position in place, at a fixed width: one write of 17 bytes at the start of
 * the file, inside its first sector, which storage writes whole (as databases keep their control
 * file), and no file created (the file stays open from the group's first position). Writing a new
 * file per commit and renaming it over the old one cost a file creation and a deletion per commit; on
 * ext4 every file created scans the inodes freed in the last minutes, and the engine creates its
 * parts in the same filesystem.
 */
async function writePosition(file: FileHandle, position: number): Promise<void> {
  await file.write(`${String(position).padStart(POSITION_WIDTH)}\n`, 0);
  await file.datasync();
}

/** Writes the buffers in order (taking them off the array), in one gathered write unless the system takes part. */
async function writeAll(file: FileHandle, rest: Buffer[]): Promise<void> {
  while (rest.length > 0) {
    let written = (await file.writev(rest)).bytesWritten;
    while (rest.length > 0 && written >= rest[0]!.length) written -= rest.shift()!.length;
    if (written > 0) rest[0] = rest[0]!.subarray(written);
  }
}

/** Makes a new file's name durable (its data is fsynced by the appends). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
