/** Parameters bound server-side as ClickHouse `{name:Type}`; user input never becomes SQL text. */
export type QueryParams = Record<string, string | number | boolean | readonly (string | number)[]>;

/**
 * Rows framed in ClickHouse's Protobuf format (each message prefixed by its varint length), read as
 * `structure` with the message `schema` and stored as `INSERT INTO table SELECT select`.
 */
export interface ProtobufInsert {
  table: string;
  select: string;
  structure: string;
  /** `<proto file>:<message>`, the file named relative to proto/fabricscope/v1. */
  schema: string;
}

export interface Warehouse {
  /** A read; rows come back as JSON objects (64-bit integers as strings). */
  query<T>(sql: string, params?: QueryParams): Promise<T[]>;
  /** A statement (DDL, INSERT ... SELECT). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  insertProtobuf(insert: ProtobufInsert, data: Buffer): Promise<void>;
  close(): Promise<void>;
}
