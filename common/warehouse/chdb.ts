import { mkdirSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import { FabricError } from '../errors.js';
import { ChdbSessions } from './chdb-sessions.js';
import { protoFile } from '../proto.js';
import {
  limitError,
  protobufInsertSql,
  settingsClause,
  tableName,
  type ProtobufInsert,
  type QueryParams,
  type QuerySettings,
  type Warehouse,
} from './warehouse.js';

/** What one statement on an EngineConnection answers: the output bytes as the engine wrote them. */
export interface EngineResult {
  bytes: Buffer;
  /** Rows and bytes (in memory) of the result, as the engine counts them. */
  resultRows: number;
  resultBytes: number;
  elapsedSeconds: number;
}

/**
 * A connection of its own to the embedded engine: same data, its own session state (settings, query
 * parameters, current database), so what a caller SETs on it never reaches the writer's session.
 * Statements run one after another; an engine error is thrown as the engine wrote it
 * (`Code: N. DB::Exception: …`).
 */
export interface EngineConnection {
  run(sql: string, format: string): Promise<EngineResult>;
  close(): void;
}

/**
 * The engine's configuration, given at connect (server settings cannot be SET).
 * - 64-bit integers as JSON strings, as a ClickHouse server sends them: exact beyond 2^53.
 * - Background merges at nice 10: in this process they share the cores with the pipeline, and a
 *   merge can wait where an insert or a query has someone waiting for it. Merges catch up whenever
 *   the cores are not all busy. Alarm bench at 2000 UVE changes/s asked, three runs against two: ack →
 *   stored p99 437–519 ms against 557–558, 1,216–1,389 changes/s reached against 1,067–1,117.
 */
const ENGINE_ARGS = [
  '--output_format_json_quote_64bit_integers=1',
  '--os_threads_nice_value_merge_mutate=10',
];

/** The embedded warehouse: the ClickHouse engine in this process, its data on disk. */
export class ChdbWarehouse implements Warehouse {
  private readonly sessions: ChdbSessions;
  private readonly path: string;
  private readonly spool: string;
  private spooled = 0;

  /** In-process, a dictionary reads this session's own tables as they are. */
  dictionarySource(): string {
    return '';
  }

  constructor(dataDir: string) {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    this.spool = join(dir, 'spool');
    rmSync(this.spool, { recursive: true, force: true });
    mkdirSync(this.spool, { recursive: true });
    this.path = join(dir, 'chdb');
    this.sessions = new ChdbSessions(this.path, ENGINE_ARGS);
  }

  /** Settings go in a SETTINGS clause at the end of the read: they bound this query only. */
  async query<T>(sql: string, params: QueryParams = {}, settings?: QuerySettings): Promise<T[]> {
    const result = await this.run(`${sql}${settingsClause(settings)}`, params, 'JSONEachRow');
    const text = result.trim();
    return text === '' ? [] : (text.split('\n').map((line) => JSON.parse(line)) as T[]);
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    await this.run(sql, params, 'CSV');
  }

  /**
   * chdb takes only text formats inline, so the rows go through spool files that the engine reads.
   * ClickHouse's Protobuf reader is single-threaded: a large insert is spooled as PARSE_STREAMS
   * files, each parsed as a stream of its own, and its views run beside the table's write. The
   * streams join before the table's sink, so an insert is still one part, as one file gave.
   */
  async insertProtobuf(insert: ProtobufInsert, chunks: readonly Buffer[]): Promise<void> {
    const base = join(this.spool, `${process.pid}-${this.spooled++}`);
    const groups = spoolGroups(chunks);
    const paths = groups.map((_, k) => `${base}-${k}.bin`);
    try {
      await Promise.all(groups.map((group, k) => writeSpool(paths[k]!, group)));
      await this.exec(
        `${protobufInsertSql(insert, "file({path:String}, 'Protobuf', {structure:String})")}
         SETTINGS format_schema = {schema:String}, parallel_view_processing = 1`,
        {
          path: groups.length === 1 ? paths[0]! : `${base}-*.bin`,
          structure: insert.structure,
          schema: protoFile(insert.schema),
        },
      );
    } finally {
      await Promise.all(paths.map((path) => rm(path, { force: true })));
    }
  }

  async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    // Everything after FORMAT is data to the engine: JSON text, never parsed as SQL.
    const data = rows.map((row) => JSON.stringify(row)).join('\n');
    await this.run(`INSERT INTO ${tableName(table)} FORMAT JSONEachRow\n${data}`, {}, 'CSV');
  }

  async close(): Promise<void> {
    this.sessions.close();
  }

  /** Opens a new connection (about a millisecond); close it when done. */
  connect(): EngineConnection {
    const session = new Session(this.path);
    return {
      run: async (sql, format) => {
        const result = await session.queryAsync(sql, { format });
        const bytes = result.bytes();
        return {
          // The engine's bytes as they are: binary formats must never pass through a string.
          bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          resultRows: result.rowsRead,
          resultBytes: result.bytesRead,
          elapsedSeconds: result.elapsed,
        };
      },
      close: () => session.close(),
    };
  }

  private async run(sql: string, params: QueryParams, format: string): Promise<string> {
    try {
      const result = await this.sessions.run(sql, params, format);
      return result.text();
    } catch (err) {
      const message = (err as Error).message;
      const limited = limitError(/Code: (\d+)/.exec(message)?.[1], message);
      if (limited) throw limited;
      throw new FabricError('INTERNAL', `warehouse: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Files an insert's rows are parsed from at once (each a stream of the engine's), at most. */
const PARSE_STREAMS = 2;
/** Below this an insert is one file: a second stream would cost more than it saves. */
export const SPLIT_FROM_BYTES = 4 << 20;

/** The chunks in at most PARSE_STREAMS groups of about equal bytes, each chunk whole and in order. */
function spoolGroups(chunks: readonly Buffer[]): Buffer[][] {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const streams = total < SPLIT_FROM_BYTES ? 1 : PARSE_STREAMS;
  const groups: Buffer[][] = [[]];
  let bytes = 0;
  for (const chunk of chunks) {
    if (bytes >= (total * groups.length) / streams) groups.push([]);
    groups.at(-1)!.push(chunk);
    bytes += chunk.length;
  }
  return groups;
}

/** Writes a spool file off the event loop and without joining the chunks: the collector keeps serving. */
async function writeSpool(path: string, chunks: readonly Buffer[]): Promise<void> {
  const file = await open(path, 'w');
  try {
    const { bytesWritten } = await file.writev(chunks);
    const size = chunks.reduce((n, c) => n + c.length, 0);
    if (bytesWritten !== size)
      throw new FabricError('INTERNAL', `spool file ${path}: ${bytesWritten} of ${size} bytes written`);
  } finally {
    await file.close();
  }
}
