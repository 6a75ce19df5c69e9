import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandPanelSql, type VariableState } from './grafana-macros.js';

/** The Grafana dashboards of dashboards/, as the suite reads them (the fields it checks and runs). */

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const dashboardsDir = join(root, 'dashboards');

export const CLICKHOUSE = 'grafana-clickhouse-datasource';
export const PROMETHEUS = 'prometheus';

export interface DatasourceRef {
  type: string;
  uid: string;
}

export interface Target {
  refId: string;
  datasource?: DatasourceRef;
  /** ClickHouse: the SQL, its format (0 time series, 1 table) and query type. */
  rawSql?: string;
  format?: number;
  queryType?: string;
  editorType?: string;
  /** Prometheus. */
  expr?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  /** The panel's minimum interval ("1m"). */
  interval?: string;
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query: string;
  datasource?: DatasourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  schemaVersion: number;
  id?: number | null;
  panels: Panel[];
  templating: { list: Variable[] };
}

/** Every dashboard file, parsed; a file that does not parse throws naming it. */
export function loadDashboards(): Dashboard[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dashboardsDir, file), 'utf8');
      try {
        return { ...(JSON.parse(text) as Omit<Dashboard, 'file'>), file };
      } catch (err) {
        throw new Error(`dashboards/${file}: ${(err as Error).message}`);
      }
    });
}

/** Every panel, those inside collapsed rows included. */
export const allPanels = (dashboard: Dashboard): Panel[] =>
  dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The panels whose targets are the ClickHouse datasource's SQL. */
export const clickhousePanels = (dashboard: Dashboard): Panel[] =>
  allPanels(dashboard).filter((p) => p.datasource?.type === CLICKHOUSE);

/** A custom variable's values: Grafana's `text : value, …` (or plain `value, …`). */
export const customOptions = (query: string): string[] =>
  query.split(',').map((option) => option.split(' : ').at(-1)!.trim());

/** A Grafana interval ("30s", "1m", "1h") in ms. */
export function intervalMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`interval "${text}" is not a Grafana interval`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Grafana's $__interval for an hour on a panel of ordinary width. */
const DEFAULT_INTERVAL_MS = 10_000;

/** A panel's $__interval over an hour: the default, or the panel's minimum if larger. */
export const panelIntervalMs = (panel: Panel): number =>
  Math.max(DEFAULT_INTERVAL_MS, panel.interval ? intervalMs(panel.interval) : 0);

const state = (
  v: Variable,
  options: Map<string, string[]>,
  selected: VariableState['selected'],
): VariableState => ({
  name: v.name,
  multi: v.multi ?? false,
  includeAll: v.includeAll ?? false,
  options: options.get(v.name) ?? [],
  selected,
});

/** Every variable of a dashboard at All, or at its first option (the first two when multi-value). */
export const variableStates = (
  dashboard: Dashboard,
  options: Map<string, string[]>,
  pick: 'all' | 'first',
): VariableState[] =>
  dashboard.templating.list.map((v) =>
    state(v, options, pick === 'all' ? 'all' : (options.get(v.name) ?? []).slice(0, v.multi ? 2 : 1)),
  );

/**
 * Every variable's options: a custom one's list, a query's first column (as Grafana's metricFindQuery
 * takes it), its query expanded with the variables before it at All. `firstColumn` runs the SQL.
 */
export async function variableOptions(
  dashboard: Dashboard,
  range: { from: Date; to: Date },
  firstColumn: (sql: string) => Promise<string[]>,
): Promise<Map<string, string[]>> {
  const options = new Map<string, string[]>();
  for (const [i, v] of dashboard.templating.list.entries()) {
    if (v.type === 'custom') {
      options.set(v.name, customOptions(v.query));
      continue;
    }
    const before = dashboard.templating.list.slice(0, i);
    const sql = expandPanelSql(v.query, {
      ...range,
      intervalMs: DEFAULT_INTERVAL_MS,
      variables: before.map((b) => state(b, options, 'all')),
    });
    options.set(v.name, await firstColumn(sql));
  }
  return options;
}
