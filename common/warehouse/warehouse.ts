import { FabricError } from '../errors.js';

/** Parameters bound server-side as ClickHouse `{name:Type}`; user input never becomes SQL text. */
export type QueryParams = Record<string, string | number | boolean | readonly (string | number)[]>;

/** A ClickHouse string literal whose value is `text` exactly: only `\` and `'` can end one. */
export const sqlString = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * ClickHouse settings of one read (max_execution_time, max_rows_to_read, …): the query API bounds
 * every read with them; the writer's inserts and the migrations pass none. Numbers only.
 */
export type QuerySettings = Readonly<Record<string, number>>;

/** The settings as a SETTINGS clause (chdb has no per-query settings argument), '' for none. */
export function settingsClause(settings: QuerySettings = {}): string {
  const entries = Object.entries(settings);
  for (const [name, value] of entries)
    if (!/^[a-z_][a-z0-9_]*$/.test(name) || !Number.isFinite(value))
      throw new FabricError('INTERNAL', `warehouse: bad query setting ${name}=${value}`);
  return entries.length === 0 ? '' : `\nSETTINGS ${entries.map(([n, v]) => `${n} = ${v}`).join(', ')}`;
}

/**
 * ClickHouse error codes that mean a read went over a limit it was given: the query is too
 * expensive, not broken. TIMEOUT_EXCEEDED 159, TOO_SLOW 160, TOO_MANY_ROWS 158, TOO_MANY_BYTES 307,
 * TOO_MANY_ROWS_OR_BYTES 396, MEMORY_LIMIT_EXCEEDED 241, QUERY_WAS_CANCELLED 394 (by a limit),
 * TOO_DEEP_AST 167, TOO_BIG_AST 168.
 */
const limitCodes = new Set(['158', '159', '160', '167', '168', '241', '307', '394', '396']);

/** The error of a read that failed on a limit (RESOURCE_EXHAUSTED), or undefined for any other failure. */
export function limitError(serverCode: string | undefined, message: string): FabricError | undefined {
  if (serverCode === undefined) return undefined;
  // "Max query size exceeded" is reported as a SYNTAX_ERROR (62): the text of the query is too long.
  const tooLong = serverCode === '62' && /max query size exceeded/i.test(message);
  if (!limitCodes.has(serverCode) && !tooLong) return undefined;
  // The engine's own sentence (what was exceeded, the limit), without the code and the query's context.
  const sentence = /DB::Exception: (.*?)(?:\. \(|: While|$)/s.exec(message)?.[1] ?? message;
  const what = sentence.slice(0, 200);
  return new FabricError('RESOURCE_EXHAUSTED', `the query went over a limit of the warehouse: ${what}`);
}

/**
 * Rows framed in ClickHouse's Protobuf format (each message prefixed by its varint length), read as
 * `structure` with the message `schema`; each stored column is computed by its expression.
 */
export interface ProtobufInsert {
  table: string;
  columns: readonly (readonly [column: string, expression: string])[];
  structure: string;
  /** `<proto file>:<message>`, the file named relative to proto/fabricscope/v1. */
  schema: string;
}

export interface Warehouse {
  /**
   * How a dictionary reaches this warehouse's own tables: the clause its CLICKHOUSE source needs
   * (` USER '…' PASSWORD '…' DB '…'` on a server, '' in chdb). It carries a password: DDL only.
   */
  dictionarySource(): string;
  /** A read; rows come back as JSON objects (64-bit integers as strings). */
  query<T>(sql: string, params?: QueryParams, settings?: QuerySettings): Promise<T[]>;
  /** A statement (DDL, INSERT ... SELECT). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** The rows come as chunks so a large insert is never copied into one buffer first. */
  insertProtobuf(insert: ProtobufInsert, chunks: readonly Buffer[]): Promise<void>;
  /**
   * A few rows, each an object of column values as JSON gives them (times as text in the column's
   * zone), into `table`: what the alarm engine writes on every step. Sent as JSONEachRow data, the
   * engine only parses the rows, where an INSERT … SELECT over array parameters made it analyse a
   * query each time (12.5 against 7.3 ms for 13 rows, alone; half the alarm store under load).
   */
  insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

/** A table name as given in code, checked: insertRows puts it in the statement's text. */
export function tableName(table: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table))
    throw new FabricError('INTERNAL', `warehouse: bad table name ${table}`);
  return table;
}

/** A time (ms since the epoch) as a DateTime64(3, 'UTC') column reads it in JSON rows. */
export const utcText = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** The INSERT ... SELECT statement of a ProtobufInsert, reading from `source` (file() or input()). */
export function protobufInsertSql(insert: ProtobufInsert, source: string): string {
  const names = insert.columns.map(([column]) => column).join(', ');
  const expressions = insert.columns.map(([, expression]) => expression).join(', ');
  return `INSERT INTO ${insert.table} (${names}) SELECT ${expressions} FROM ${source}`;
}
