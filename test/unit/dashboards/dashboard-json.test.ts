import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  allPanels,
  CLICKHOUSE,
  customOptions,
  intervalMs,
  loadDashboards,
  PROMETHEUS,
  root,
  type Dashboard,
  type DatasourceRef,
} from '../../../harness/dashboards.js';
import { macroNames, supportedMacros, variableNames } from '../../../harness/grafana-macros.js';

/** Grafana 12.1's dashboard schema version: Grafana migrates an older one each time it loads it. */
const SCHEMA_VERSION = 41;

/** The provisioning files that name the datasources the dashboards use. */
const provisioning = [
  'deploy/grafana/provisioning/datasources/datasources.yml',
  'deploy/grafana/embedded/datasources.yml',
];

/**
 * The `- name:` items of a provisioning file's datasources list, with their uid and type (the
 * files are plain block YAML: one key per line).
 */
function provisionedDatasources(file: string): DatasourceRef[] {
  const text = readFileSync(join(root, file), 'utf8');
  return text
    .split(/^\s*- name:/m)
    .slice(1)
    .map((item) => ({
      uid: /^\s*uid:\s*(\S+)/m.exec(item)?.[1] ?? '',
      type: /^\s*type:\s*(\S+)/m.exec(item)?.[1] ?? '',
    }));
}

/** Grafana's built-in variables a query may name (Prometheus' rate window, the range, the interval). */
const promBuiltins = new Set(['rate_interval', 'interval', 'range']);

const dashboards = loadDashboards();

/** Every query text of a dashboard with where it is: panel targets and query variables. */
function queries(dashboard: Dashboard): { where: string; datasource: string; text: string }[] {
  const panels = allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      where: `panel "${panel.title}" ${t.refId}`,
      datasource: t.datasource?.type ?? panel.datasource?.type ?? '',
      text: t.rawSql ?? t.expr ?? '',
    })),
  );
  const variables = dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ where: `variable ${v.name}`, datasource: v.datasource?.type ?? '', text: v.query }));
  return [...panels, ...variables];
}

describe('dashboards/: Grafana JSON the provisioning loads as it is', () => {
  it('finds the six dashboards, each parsed, with a fixed uid and title of its own', () => {
    assert.deepEqual(
      dashboards.map((d) => d.uid),
      [
        'fabricscope-alarms',
        'fabricscope-flows',
        'fabricscope-interfaces',
        'fabricscope-overview',
        'fabricscope-pipeline',
        'fabricscope-routes',
      ],
    );
    assert.equal(new Set(dashboards.map((d) => d.title)).size, dashboards.length);
    for (const d of dashboards) {
      assert.equal(d.file, `${d.uid.replace('fabricscope-', '')}.json`, d.uid);
      assert.equal(d.schemaVersion, SCHEMA_VERSION, d.file);
      assert.ok(d.id === undefined || d.id === null, `${d.file}: a numeric id would clash across Grafanas`);
    }
  });

  for (const dashboard of dashboards) {
    describe(dashboard.file, () => {
      it('panel ids are unique and every panel and target names a provisioned datasource by uid', () => {
        const panels = allPanels(dashboard);
        assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'duplicate panel id');
        for (const file of provisioning) {
          const known = provisionedDatasources(file);
          assert.ok(known.length >= 2, `${file} lists its datasources`);
          const refs = [
            ...panels.filter((p) => p.type !== 'row').map((p) => ({ where: p.title, ref: p.datasource })),
            ...panels.flatMap((p) =>
              (p.targets ?? []).map((t) => ({ where: `${p.title} ${t.refId}`, ref: t.datasource })),
            ),
            ...dashboard.templating.list
              .filter((v) => v.type === 'query')
              .map((v) => ({ where: `variable ${v.name}`, ref: v.datasource })),
          ];
          for (const { where, ref } of refs) {
            assert.ok(ref, `${where}: no datasource`);
            assert.ok(
              known.some((k) => k.uid === ref.uid && k.type === ref.type),
              `${where}: datasource ${ref.type} "${ref.uid}" is not provisioned in ${file}`,
            );
          }
        }
      });

      it('every variable a query names is defined (or a built-in), and every macro is one the plugin expands', () => {
        const defined = new Set(dashboard.templating.list.map((v) => v.name));
        for (const { where, datasource, text } of queries(dashboard)) {
          assert.ok(text.trim() !== '', `${where}: empty query`);
          for (const name of variableNames(text))
            assert.ok(defined.has(name), `${where}: $${name} is not a variable of the dashboard`);
          const builtins = datasource === CLICKHOUSE ? supportedMacros : promBuiltins;
          for (const name of datasource === CLICKHOUSE ? macroNames(text) : (text.match(/\$__\w+/g) ?? []))
            assert.ok(builtins.has(name.replace(/^\$__/, '')), `${where}: unknown macro ${name}`);
        }
      });

      it('ClickHouse targets say their format: time series (0) or table (1), as their panel draws', () => {
        for (const panel of allPanels(dashboard).filter((p) => p.datasource?.type === CLICKHOUSE)) {
          const series = panel.type === 'timeseries';
          for (const t of panel.targets ?? []) {
            assert.equal(t.editorType, 'sql', panel.title);
            assert.equal(t.format, series ? 0 : 1, panel.title);
            assert.equal(t.queryType, series ? 'timeseries' : 'table', panel.title);
          }
          if (panel.interval !== undefined) assert.ok(intervalMs(panel.interval) > 0, panel.title);
        }
        for (const panel of allPanels(dashboard).filter((p) => p.datasource?.type === PROMETHEUS))
          for (const t of panel.targets ?? []) assert.ok(t.expr, `${panel.title} ${t.refId}: no expr`);
      });

      it('variables: unique names, a query or options, All where the queries expect it', () => {
        const names = dashboard.templating.list.map((v) => v.name);
        assert.equal(new Set(names).size, names.length);
        for (const v of dashboard.templating.list) {
          assert.ok(v.type === 'query' || v.type === 'custom', `${v.name}: type ${v.type}`);
          if (v.type === 'custom')
            assert.ok(
              customOptions(v.query).every((o) => o !== ''),
              v.name,
            );
          // $__conditionalAll tests the value against $__all: a custom all-value would defeat it.
          assert.equal(v.allValue, undefined, `${v.name}: custom all-value`);
        }
      });
    });
  }

  it('docker-compose mounts dashboards/ where the dashboards provider reads them', () => {
    const provider = readFileSync(
      join(root, 'deploy/grafana/provisioning/dashboards/fabricscope.yml'),
      'utf8',
    );
    const path = /^\s*path:\s*(\S+)/m.exec(provider)?.[1];
    assert.ok(path, 'the provider names a path');
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    assert.ok(
      compose.includes(`- ./dashboards:${path}:ro`),
      `docker-compose.yml mounts ./dashboards at ${path}`,
    );
    assert.ok(compose.includes('- ./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'));
  });
});
