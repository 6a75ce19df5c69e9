/**
 * The catalog: one declaration per stored field of each record kind, and one per rollup level.
 * Inserts, migrations, views, repair, wire checks and the query API's fields are derived from it,
 * so adding a field is one entry here plus its proto field (ARCHITECTURE.md shows how).
 */

/** A column of a bus-fed table. */
export interface Field {
  /** The stored column. */
  column: string;
  /** Its ClickHouse type, as system.columns prints it. */
  type: string;
  /** Its compression codec, e.g. `CODEC(ZSTD(1))`. */
  codec?: string;
  /** Set when migration `since` (written in migrations.ts) changed the codec to `codec`: the one before. */
  recoded?: { since: number; from: string };
  /**
   * The record field it is read from (records.proto, snake_case), read by the Protobuf insert as
   * `record_<proto> <read>`. Absent for a column computed at insert from other fields.
   */
  proto?: string;
  /** The proto field's type as ClickHouse reads it from a Protobuf row. */
  read?: string;
  /** The stored value from the read column (`record_<proto>`); default: the value as read. */
  insert?: (read: string) => string;
  /**
   * Computed by the engine from the row's other columns as it is inserted (MATERIALIZED): no insert
   * names it, `SELECT *` leaves it out, and rows stored before the column was added compute it when read.
   */
  materialized?: string;
  /** The migration that added the column: applied migrations never change, later ones add. */
  since: number;
  /**
   * Kept, and grouped by, at every level of a `sum` rollup, at this position of the levels' sorting
   * key (a later field takes the next position: a sorting key can only grow at its end).
   */
  rollup?: number;
}

/**
 * How a rollup family keeps its rows: `sum` adds measures per bucket and per combination of the
 * fields marked `rollup` (flows); `last` keeps samples of every field (counters): the last per bucket,
 * and from migration 11 (rollups.ts) the first and the peak too, the peak by the sum of `peak`.
 */
export type RollupMerge =
  | {
      kind: 'sum';
      /** Each measure's expression over raw rows; rollups sum the measure. */ measures: Readonly<
        Record<string, string>
      >;
    }
  | { kind: 'last'; peak: readonly string[] };

/** One resolution of a rollup family, fed by a materialized view from `source`. */
export interface RollupLevel {
  table: string;
  /** ClickHouse's bucketing function, e.g. toStartOfMinute. */
  bucket: string;
  bucketSeconds: number;
  /** The raw table or a finer level: a coarser level aggregates already-rolled rows. */
  source: string;
  ttl: string;
}

/** The table a record kind lands in, and how it is laid out. */
export interface TableLayout {
  name: string;
  /** The migration that created it. */
  since: number;
  engine: string;
  partitionBy?: string;
  orderBy: string;
  ttl?: string;
  /** The migration that set `ttl`, when it came after the table (ALTER TABLE … MODIFY TTL). */
  ttlSince?: number;
}

/** A table holding copies of a kind's rows (route snapshots): every field added after it is added to it too. */
export interface CopyTable {
  table: string;
  /** The migration that created it, with the kind's fields as they stood then. */
  since: number;
}

/** A record kind: its proto row, its table, its fields and its rollups. */
export interface RecordCatalog<F extends Field = Field> {
  /** `<Kind>Row` in records.proto: a record plus its BatchStamp. */
  row: string;
  /** The record message inside the row. */
  record: string;
  table: TableLayout;
  /** The record field that gives the row's time. */
  time: Field;
  fields: readonly F[];
  /** Proto fields of the record read by no column, each with the reason. */
  unstored?: Readonly<Record<string, string>>;
  rollup?: { merge: RollupMerge; levels: readonly RollupLevel[] };
  copies?: readonly CopyTable[];
}
