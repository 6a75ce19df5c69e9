/** Parameters bound server-side as ClickHouse `{name:Type}`; user input never becomes SQL text. */
export type QueryParams = Record<string, string | number | boolean | readonly (string | number)[]>;

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
  query<T>(sql: string, params?: QueryParams): Promise<T[]>;
  /** A statement (DDL, INSERT ... SELECT). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** The rows come as chunks so a large insert is never copied into one buffer first. */
  insertProtobuf(insert: ProtobufInsert, chunks: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** The INSERT ... SELECT statement of a ProtobufInsert, reading from `source` (file() or input()). */
export function protobufInsertSql(insert: ProtobufInsert, source: string): string {
  const names = insert.columns.map(([column]) => column).join(', ');
  const expressions = insert.columns.map(([, expression]) => expression).join(', ');
  return `INSERT INTO ${insert.table} (${names}) SELECT ${expressions} FROM ${source}`;
}
