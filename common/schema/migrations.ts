import {
  catalogs,
  flowCatalog,
  generatorEventCatalog,
  interfaceStatsCatalog,
  routeCatalog,
  uveCatalog,
} from './catalog/index.js';
import type { RecordCatalog } from './catalog/types.js';
import { alarmReceiverStatements } from './alarm-receivers.js';
import { alarmRuleStatements } from './alarm-rules.js';
import { alarmDeliveryStatements } from './alarm-deliveries.js';
import {
  alarmDescriptionStatements,
  alarmsByTimeStatements,
  alarmStateViewOf6,
  alarmTableStatements,
} from './alarms.js';
import {
  addFields,
  addSampleEdges,
  createRollup,
  createTable,
  foldSmallPartsFirst,
  recodeColumns,
  setTtl,
} from './ddl.js';
import { createSnapshotTables, ROUTE_SNAPSHOTS, SNAPSHOT_RUNS } from './route-table.js';
import { levels } from './rollups.js';
import { createLatestView, latestWithdrawals, uveLatestView, workloadsView } from './views.js';

/**
 * The warehouse schema as ordered migrations. Both drivers apply them at start; an applied migration
 * is recorded in schema_migrations and never changed afterwards (a test keeps their SQL as applied).
 * A kind's table is created from its catalog as it stood then; a field added to the catalog later
 * (`since: N`) is added by migration N, written here or generated from the catalog alone.
 */
export interface Migration {
  id: number;
  name: string;
  /** A function's statement depends on the warehouse; undefined: nothing to run on this one. */
  statements: (string | ((context: SchemaContext) => string | undefined))[];
}

/** What a statement may need to know of the warehouse it runs on. */
export interface SchemaContext {
  /** ` USER '…' PASSWORD '…' DB '…'` for a dictionary reading this server's own tables, or '' (chdb). */
  dictionarySource: string;
  /** The MergeTree settings this engine knows (system.merge_tree_settings). */
  mergeTreeSettings: ReadonlySet<string>;
}

/** A kind's table and its rollup levels, created by migration `id`. */
const created = (catalog: RecordCatalog, id: number): string[] => [
  createTable(catalog, id),
  ...levels(catalog).flatMap((level) => createRollup(catalog, level, id)),
];

/**
 * The live identity of each address in each virtual network (TF lets VNs reuse addresses): the
 * newest UveVMInterfaceAgent part per (interface, generator), minus deleted parts and parts of
 * generators withdrawn since. No single quotes: it sits in one.
 */
const workloadSource = `
  SELECT virtual_network, ip, argMax(workload, updated) AS workload,
    argMax(namespace, updated) AS namespace, argMax(labels, updated) AS labels
  FROM (
    SELECT * FROM (
      SELECT vmi, generator, max(received_at) AS updated, argMax(ips, received_at) AS ips,
        argMax(virtual_network, received_at) AS virtual_network,
        argMax(workload, received_at) AS workload, argMax(namespace, received_at) AS namespace,
        argMax(labels, received_at) AS labels, argMax(deleted, received_at) AS deleted
      FROM workloads GROUP BY vmi, generator
    ) AS part
    LEFT JOIN (${latestWithdrawals()}) AS w USING generator
    WHERE NOT deleted AND updated > w.withdrawn
  )
  ARRAY JOIN ips AS ip
  GROUP BY virtual_network, ip`;

const aggregation =
  "Map(String, Tuple(agg Enum8('none' = 0, 'sum' = 1, 'union' = 2, 'append' = 3), list_key String))";

/** The migrations written by hand: what they create beyond the catalog's fields. */
const written: Migration[] = [
  { id: 1, name: 'flows with 1m and 1h rollups', statements: created(flowCatalog, 1) },
  {
    id: 2,
    name: 'UVEs, generator events, routes, interface stats, workload identity on flows',
    statements: [
      ...created(uveCatalog, 2),
      // The newest part per (UVE, struct, generator); no TTL: state outlives its history.
      `CREATE TABLE IF NOT EXISTS uve_latest (
      type LowCardinality(String),
      name String,
      struct_type LowCardinality(String),
      generator LowCardinality(String),
      received_at DateTime64(6, 'UTC'),
      time DateTime64(6, 'UTC'),
      attributes String CODEC(ZSTD(3)),
      aggregation ${aggregation},
      deleted Bool
    ) ENGINE = ReplacingMergeTree(received_at)
    ORDER BY (type, name, struct_type, generator)`,
      createLatestView(uveLatestView),
      ...created(generatorEventCatalog, 2),
      ...created(routeCatalog, 2),
      ...created(interfaceStatsCatalog, 2),
      `CREATE TABLE IF NOT EXISTS workloads (
      vmi String,
      generator LowCardinality(String),
      received_at DateTime64(6, 'UTC'),
      ips Array(IPv6),
      workload String,
      workload_kind LowCardinality(String),
      namespace LowCardinality(String),
      virtual_network LowCardinality(String),
      labels Map(String, String),
      deleted Bool
    ) ENGINE = ReplacingMergeTree(received_at)
    ORDER BY (vmi, generator)`,
      createLatestView(workloadsView),
      ({ dictionarySource }) => `CREATE DICTIONARY IF NOT EXISTS workload_by_ip (
      virtual_network String, ip IPv6, workload String, namespace String, labels Map(String, String)
    ) PRIMARY KEY virtual_network, ip
    SOURCE(CLICKHOUSE(QUERY '${workloadSource.replace(/\s+/g, ' ').trim()}'${dictionarySource}))
    LAYOUT(COMPLEX_KEY_HASHED())
    LIFETIME(MIN 5 MAX 10)`,
    ],
  },
  {
    id: 3,
    name: 'dead letters: records the warehouse refused',
    statements: [
      // One row per record a writer could not store (see writer/batch-writer.ts): the record's bytes
      // as received, its batch's stamp, and the refusal. Kept a week, dropped a day at a time.
      `CREATE TABLE IF NOT EXISTS dead_letters (
      received_at DateTime64(6, 'UTC'),
      dead_at DateTime64(6, 'UTC') DEFAULT now64(6),
      topic LowCardinality(String),
      target LowCardinality(String),
      generator LowCardinality(String),
      batch_epoch UInt64,
      batch_seq UInt64,
      record_index UInt32,
      record String CODEC(ZSTD(3)),
      error_code UInt32,
      error String CODEC(ZSTD(3))
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMMDD(dead_at)
    ORDER BY (dead_at, generator, batch_epoch, batch_seq, record_index)
    TTL toDateTime(dead_at) + INTERVAL 7 DAY
    SETTINGS ttl_only_drop_parts = 1`,
    ],
  },
  // Migration 4 is generated: stored_at on routes and generator_events (catalog fields).
  {
    id: 5,
    name: 'retention: TTLs on route and generator events, route snapshots',
    statements: [
      // Rows stored before this migration count as stored now: the TTLs it sets (generated below,
      // from the catalog) keep them a full retention from now, until the snapshots the writers take
      // from now on cover it. Waited for, so that no merge applies a TTL to rows without it.
      ...['routes', 'generator_events'].map(
        (table) =>
          `ALTER TABLE ${table} UPDATE stored_at = now64(6) WHERE stored_at = 0 SETTINGS mutations_sync = 2`,
      ),
      ...createSnapshotTables(5),
    ],
  },
  {
    id: 6,
    name: "alarms: every transition, and each alarm's latest state",
    statements: [...alarmTableStatements, createLatestView(alarmStateViewOf6)],
  },
  { id: 7, name: 'alarm rules written at run time, every version', statements: [...alarmRuleStatements] },
  { id: 8, name: "alarm notifications' outbox", statements: [...alarmDeliveryStatements] },
  { id: 9, name: 'webhook receivers, every version', statements: [...alarmReceiverStatements] },
  {
    id: 11,
    name: "interface stats rollups keep each bucket's first, peak and last sample",
    statements: addSampleEdges(interfaceStatsCatalog, 11),
  },
  {
    id: 12,
    name: 'merges fold small parts together before folding them into a large one',
    statements: foldSmallPartsFirst([
      ...catalogs.flatMap((k) => [k.table.name, ...levels(k).map((level) => level.table)]),
      ...['uve_latest', 'workloads', 'dead_letters', ROUTE_SNAPSHOTS, SNAPSHOT_RUNS],
      ...['alarms', 'alarm_state', 'alarm_rules', 'alarm_deliveries', 'alarm_receivers'],
    ]),
  },
  { id: 13, name: "alarms carry their rule's description", statements: [...alarmDescriptionStatements] },
  // The statements are the catalog's (flowCatalog's time, recoded since 14).
  { id: 14, name: 'flows.time in T64 and LZ4: read 3× faster than DoubleDelta and ZSTD', statements: [] },
  {
    id: 15,
    name: "alarms in time order too: the last minutes read without the day's every transition",
    statements: [...alarmsByTimeStatements],
  },
];

/**
 * Every migration of a catalog set: the written ones and one generated migration per other `since`
 * the catalogs' fields declare, in order, each followed by the fields the catalogs declare since it
 * and the TTLs they set then.
 */
export function migrationsOf(kinds: readonly RecordCatalog[], handWritten = written): Migration[] {
  const writtenIds = new Set(handWritten.map((m) => m.id));
  const others = [...new Set(kinds.flatMap((k) => k.fields.map((f) => f.since)))].filter(
    (id) => !writtenIds.has(id),
  );
  const generated = others.map((id) => ({
    id,
    name: `catalog fields: ${kinds.flatMap((k) => k.fields.filter((f) => f.since === id).map((f) => `${k.table.name}.${f.column}`)).join(', ')}`,
    statements: [],
  }));
  return [...handWritten, ...generated]
    .sort((a, b) => a.id - b.id)
    .map((m) => ({
      ...m,
      statements: [
        ...m.statements,
        ...kinds.flatMap((k) => addFields(k, m.id)),
        ...kinds.flatMap((k) => recodeColumns(k, m.id)),
        ...kinds.flatMap((k) => setTtl(k, m.id)),
      ],
    }));
}

export const migrations: Migration[] = migrationsOf(catalogs);
