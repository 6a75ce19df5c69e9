import type { Warehouse } from '../warehouse/warehouse.js';

/**
 * The alarm rules written at run time (migration 7): every version of every rule, as the API stored
 * it. A rule is named by its fq name (TF's alarm type); its newest version is the one in force
 * (common/model/alarm-rules/effective.ts merges them with the built-ins). No TTL: a version is written
 * by hand, and the newest of each name is what the engine runs, however old.
 */

/** What a version does to its rule: in force, kept but not evaluated, or withdrawn. */
export const ruleStatuses = ['enabled', 'disabled', 'deleted'] as const;
export type RuleStatus = (typeof ruleStatuses)[number];

/**
 * `name`: the rule's fq name. `version`: 1, 2, … per name, never reused (a rule deleted and created
 * again continues its count). `rule`: its TF-format JSON as given, or '' for the built-in of that
 * name as shipped (a built-in disabled, not overridden). `author`: who the caller said it is.
 */
export const alarmRuleStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS alarm_rules (
      name String,
      version UInt64,
      rule String CODEC(ZSTD(3)),
      status Enum8(${ruleStatuses.map((s, i) => `'${s}' = ${i}`).join(', ')}),
      author String,
      at DateTime64(3, 'UTC')
    ) ENGINE = MergeTree
    ORDER BY (name, version)`,
];

/** One stored version of a rule: a row of `alarm_rules`. */
export interface RuleVersion {
  /** The rule's fq name. */
  name: string;
  version: number;
  /** Its TF-format JSON as given; '' for the built-in of that name as shipped. */
  rule: string;
  status: RuleStatus;
  author: string;
  /** When it was stored (ms). */
  at: number;
}

/**
 * Every stored version (a few per rule, written by hand: read whole). A rule change comes to every
 * alarm engine instance, and each stores it unless it is stored already: two instances at once may
 * both store a version, and the first stored of each version is the one that counts.
 */
export async function readRuleVersions(warehouse: Warehouse): Promise<RuleVersion[]> {
  const rows = await warehouse.query<{
    name: string;
    version: string;
    rule: string;
    status: RuleStatus;
    author: string;
    at_ms: string;
  }>(
    `SELECT name, toString(version) AS version, rule, toString(status) AS status, author,
       toString(toUnixTimestamp64Milli(at)) AS at_ms
     FROM alarm_rules ORDER BY name, version, at, rule, status, author
     LIMIT 1 BY name, version`,
  );
  return rows.map((row) => ({ ...row, version: Number(row.version), at: Number(row.at_ms) }));
}

export async function storeRuleVersion(warehouse: Warehouse, v: RuleVersion): Promise<void> {
  await warehouse.exec(
    `INSERT INTO alarm_rules (name, version, rule, status, author, at)
     SELECT {name:String}, {version:UInt64}, {rule:String}, {status:String},
       {author:String}, fromUnixTimestamp64Milli(toInt64({at:Int64}), 'UTC')`,
    { ...v },
  );
}
