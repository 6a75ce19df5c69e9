import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Grafana dashboards of dashboards/, as the suite reads them (the fields it checks and runs). */

export const root = fileURLToPath(new URL('../../../', import.meta.url));
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
