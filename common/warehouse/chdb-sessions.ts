import { formatQueryParams } from '@clickhouse/client-common';
import { Session, type ChdbResult } from 'chdb';
import { sqlString, type QueryParams } from './warehouse.js';

/** Threads of Node's pool left to everything else: file system calls (the bus's appends, spool files). */
const THREADS_BESIDE = 4;

/**
 * At most this many statements of the warehouse run at once, each holding a thread of Node's pool
 * (UV_THREADPOOL_SIZE; bin/fabricscope.cts sizes it to 20: 16 statements), two at least: the
 * writer's topics, the alarm engine's store and the API's reads side by side (the API bounds its
 * own reads); beyond, a statement waits for a session.
 */
const maxSessions = (poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4): number =>
  Math.max(2, poolSize - THREADS_BESIDE);

/**
 * Sessions of the embedded engine, each running one statement at a time, so that statements run side
 * by side as a server runs its clients' queries. chdb runs a session's statements one after another,
 * and binds parameters (`queryBindAsync`) one statement at a time in the whole process, every session
 * included (its binding is not isolated between connections): with one session and bound parameters,
 * an alarm store of a few rows waited behind the writer's inserts, and they behind the API's reads.
 * Parameters are set on the statement's session instead (`SET param_…`, ClickHouse's per-session query
 * parameters), in the text @clickhouse/client sends a server. A session is opened when every open one
 * is busy (about a millisecond) and kept.
 */
export class ChdbSessions {
  private readonly all = new Set<Session>();
  private readonly idle: Session[] = [];
  private readonly waiting: ((session: Session) => void)[] = [];
  private readonly max = maxSessions();

  constructor(
    private readonly path: string,
    /** Engine settings of every session, as `--name=value`. */
    private readonly connectionArgs: readonly string[],
  ) {
    this.idle.push(this.open());
  }

  /** Runs one statement on a session of its own; its parameters are that session's from then on. */
  async run(sql: string, params: QueryParams, format: string): Promise<ChdbResult> {
    const session = await this.acquire();
    try {
      const names = Object.keys(params);
      if (names.length > 0) await session.queryAsync(setParams(params), { format: 'CSV' });
      return await session.queryAsync(sql, { format });
    } finally {
      this.release(session);
    }
  }

  close(): void {
    for (const session of this.all) session.close();
    this.all.clear();
  }

  private open(): Session {
    const session = new Session(this.path, { connectionArgs: [...this.connectionArgs] });
    this.all.add(session);
    return session;
  }

  private acquire(): Promise<Session> {
    const session = this.idle.pop() ?? (this.all.size < this.max ? this.open() : undefined);
    return session ? Promise.resolve(session) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(session: Session): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }
}

/** One SET of every parameter, each value as a string literal of the text a server is sent. */
function setParams(params: QueryParams): string {
  const values = Object.entries(params).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`'${name}' is not a query parameter name`);
    return `param_${name} = ${sqlString(formatQueryParams({ value }))}`;
  });
  return `SET ${values.join(', ')}`;
}
