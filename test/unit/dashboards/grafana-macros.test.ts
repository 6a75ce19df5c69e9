import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyConditionalAll,
  expandMacros,
  expandPanelSql,
  interpolateVariables,
  macroNames,
  variableNames,
  type ExpandContext,
  type VariableState,
} from '../../../harness/grafana-macros.js';

/**
 * The expander against the plugin's own expectations: pkg/macros/macros_test.go of
 * grafana/clickhouse-datasource (the time range and outputs below are its), the frontend's
 * applyConditionalAll and Grafana's variable formats (@grafana/scenes formatRegistry tests).
 */
const from = new Date('2014-11-12T11:45:26.123Z');
const to = new Date('2015-11-12T11:45:26.456Z');
const time = { from, to, intervalMs: 60_000 };
const none: ExpandContext = { ...time, variables: [] };
const expand = (sql: string) => expandMacros(sql, time);

const variable = (more: Partial<VariableState> & Pick<VariableState, 'name'>): VariableState => ({
  multi: true,
  includeAll: true,
  options: ['compute-1', 'compute-2'],
  selected: 'all',
  ...more,
});

describe('grafana-clickhouse-datasource backend macros (macros_test.go)', () => {
  it('TestInterpolate: timeFilter, timeFilter_ms, fromTime/toTime and their _ms forms', () => {
    const cases: [string, string][] = [
      [
        'select * from foo where $__timeFilter(cast(sth as timestamp))',
        'select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)',
      ],
      [
        'select * from foo where $__timeFilter(cast(sth as timestamp) )',
        'select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= toDateTime(1447328726)',
      ],
      [
        'select * from foo where $__timeFilter_ms(cast(sth as timestamp))',
        'select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) AND cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)',
      ],
      [
        'select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100',
        'select * from foo where ( date >= toDateTime(1415792726) and date <= toDateTime(1447328726) ) limit 100',
      ],
      [
        'select * from foo where ( date >= $__fromTime_ms ) and ( date <= $__toTime_ms ) limit 100',
        'select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) ) and ( date <= fromUnixTimestamp64Milli(1447328726456) ) limit 100',
      ],
    ];
    for (const [input, output] of cases) assert.equal(expand(input), output);
  });

  it('dateFilter, dateTimeFilter (and its alias dt), timeFrom, timeTo', () => {
    assert.equal(
      expand('$__dateFilter(dateCol)'),
      "dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')",
    );
    const both =
      "(dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')) AND (timeCol >= toDateTime(1415792726) AND timeCol <= toDateTime(1447328726))";
    assert.equal(expand('$__dateTimeFilter(dateCol, timeCol)'), both);
    assert.equal(expand('$__dt(dateCol, timeCol)'), both);
    assert.equal(expand('$__timeFrom(ts)'), 'ts >= toDateTime(1415792726)');
    assert.equal(expand('$__timeTo(ts)'), 'ts <= toDateTime(1447328726)');
  });

  it('timeInterval, timeInterval_ms and interval_s from the interval (20 s), at least 1 s', () => {
    const twenty = { ...time, intervalMs: 20_000 };
    assert.equal(
      expandMacros('$__timeInterval(col)', twenty),
      'toStartOfInterval(toDateTime(col), INTERVAL 20 second)',
    );
    assert.equal(
      expandMacros('$__timeInterval_ms(col)', twenty),
      'toStartOfInterval(toDateTime64(col, 3), INTERVAL 20000 millisecond)',
    );
    assert.equal(expandMacros('$__interval_s', twenty), '20');
    assert.equal(expandMacros('$__interval_s', { ...time, intervalMs: 200 }), '1');
  });

  it('timeGroup takes a Go duration; a wrong count of arguments or a bad duration is an error', () => {
    assert.equal(expand('$__timeGroup(ts, 5m)'), 'toStartOfInterval(toDateTime(ts), INTERVAL 300 second)');
    assert.equal(expand("$__timeGroup(ts, '1h')"), 'toStartOfInterval(toDateTime(ts), INTERVAL 3600 second)');
    assert.throws(() => expand('$__timeGroup(ts)'), /expected 2 argument\(s\), received 1/);
    assert.throws(() => expand('$__timeGroup(ts, not-a-duration)'), /invalid interval/);
    assert.throws(() => expand('$__timeFilter()'), /\$__timeFilter expected 1 argument\(s\), received 0/);
    assert.throws(() => expand('$__timeFilter'), /received 0/);
  });

  it('TestInterpolateNestedMacros: a macro inside another is expanded first', () => {
    assert.equal(
      expand('SELECT $__timeInterval($__fromTime) AS from_time'),
      'SELECT toStartOfInterval(toDateTime(toDateTime(1415792726)), INTERVAL 60 second) AS from_time',
    );
    assert.equal(
      expand('SELECT $__timeInterval_ms($__fromTime_ms)'),
      'SELECT toStartOfInterval(toDateTime64(fromUnixTimestamp64Milli(1415792726123), 3), INTERVAL 60000 millisecond)',
    );
    assert.equal(
      expand('select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))'),
      'select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= toDateTime(1415792726) AND coalesce(closed_at, toDateTime(1447328726)) <= toDateTime(1447328726)',
    );
  });

  it('literals, quoted identifiers and comments are kept, and a macro after them is expanded', () => {
    const cases: [string, string][] = [
      [
        "select * from foo where msg = 'it\\'s -- fine' and $__fromTime",
        "select * from foo where msg = 'it\\'s -- fine' and toDateTime(1415792726)",
      ],
      [
        "select * from foo where msg = 'a\\'/*x' and $__toTime",
        "select * from foo where msg = 'a\\'/*x' and toDateTime(1447328726)",
      ],
      [
        "select * from foo where msg = 'it''s' and $__fromTime",
        "select * from foo where msg = 'it''s' and toDateTime(1415792726)",
      ],
      [
        "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND $__timeFilter(ts)",
        "SELECT `it's` AS x, msg FROM t WHERE msg = 'a--b' AND ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726)",
      ],
      [
        'SELECT `a--b`, `c/*d` FROM t WHERE $__fromTime',
        'SELECT `a--b`, `c/*d` FROM t WHERE toDateTime(1415792726)',
      ],
      [
        'SELECT $doc$a--b$doc$ AS x FROM t WHERE $__toTime',
        'SELECT $doc$a--b$doc$ AS x FROM t WHERE toDateTime(1447328726)',
      ],
    ];
    for (const [input, output] of cases) assert.equal(expand(input), output);
  });

  it('leaves an unknown $__name as it is, and does not take $__timeFilter_ms for $__timeFilter', () => {
    assert.equal(expand('SELECT $__nope(x), $__fromTimeX'), 'SELECT $__nope(x), $__fromTimeX');
    assert.deepEqual(macroNames("SELECT $__timeFilter_ms(t), '$__hidden' -- $__comment\n"), [
      'timeFilter_ms',
    ]);
  });
});

describe('$__conditionalAll (the plugin frontend)', () => {
  const cond = 'SELECT 1 WHERE $__conditionalAll(vrouter IN (${vrouter:singlequote}), $vrouter)';

  it('is 1=1 when All is selected, multi-value or not', () => {
    assert.equal(applyConditionalAll(cond, [variable({ name: 'vrouter' })]), 'SELECT 1 WHERE 1=1');
    assert.equal(
      applyConditionalAll(cond, [variable({ name: 'vrouter', multi: false })]),
      'SELECT 1 WHERE 1=1',
    );
  });

  it('is its condition, untouched, for chosen values; ${var} works as $var, ${var:fmt} never matches', () => {
    const chosen = [variable({ name: 'vrouter', selected: ['compute-2'] })];
    assert.equal(applyConditionalAll(cond, chosen), 'SELECT 1 WHERE vrouter IN (${vrouter:singlequote})');
    assert.equal(
      applyConditionalAll('$__conditionalAll(a = 1, ${vrouter})', [variable({ name: 'vrouter' })]),
      '1=1',
    );
    // The plugin's regex needs `}` right after the name: with a format the condition always stays.
    assert.equal(
      applyConditionalAll('$__conditionalAll(a = 1, ${vrouter:csv})', [variable({ name: 'vrouter' })]),
      'a = 1',
    );
  });

  it('expands every occurrence, nested brackets in the condition included', () => {
    const sql = '$__conditionalAll(f(a, (b)) = 1, $x) AND $__conditionalAll(c = 2, $y)';
    const vars = [variable({ name: 'x', selected: ['1'] }), variable({ name: 'y' })];
    assert.equal(applyConditionalAll(sql, vars), 'f(a, (b)) = 1 AND 1=1');
  });
});

describe("template variables (Grafana's template service with the plugin's format)", () => {
  const ctx = (v: VariableState): ExpandContext => ({ ...none, variables: [v] });

  it('multi-value without a format: quoted and joined, unescaped; a single value stays bare', () => {
    const chosen = variable({ name: 'vn', selected: ['red', "o'k"] });
    assert.equal(interpolateVariables('IN ($vn)', ctx(chosen)), "IN ('red','o'k')");
    const single = variable({ name: 'vn', multi: false, selected: ['red'] });
    assert.equal(interpolateVariables('= $vn, [[vn]], ${vn}', ctx(single)), '= red, red, red');
  });

  it('singlequote, doublequote, sqlstring, csv, pipe, raw and text as Grafana formats them', () => {
    const v = ctx(variable({ name: 'v', selected: ['test', "test'2"] }));
    assert.equal(interpolateVariables('${v:singlequote}', v), "'test','test\\'2'");
    assert.equal(interpolateVariables('${v:sqlstring}', v), "'test','test''2'");
    assert.equal(interpolateVariables('${v:csv}|${v:pipe}', v), "test,test'2|test|test'2");
    assert.equal(interpolateVariables('${v:raw}', v), "test,test'2");
    assert.equal(interpolateVariables('${v:text}', v), "test + test'2");
    const dq = ctx(variable({ name: 'v', selected: ['test', 'test"2'] }));
    assert.equal(interpolateVariables('${v:doublequote}', dq), '"test","test\\"2"');
    const one = ctx(variable({ name: 'v', multi: false, selected: ["test'value"] }));
    assert.equal(interpolateVariables('${v:sqlstring}', one), "'test''value'");
    assert.equal(interpolateVariables('${v:singlequote}', one), "'test\\'value'");
  });

  it('All is every option, or a custom all-value inserted raw whatever the format', () => {
    assert.equal(
      interpolateVariables('${v:singlequote}', ctx(variable({ name: 'v' }))),
      "'compute-1','compute-2'",
    );
    const custom = ctx(variable({ name: 'v', allValue: '.*' }));
    assert.equal(interpolateVariables('${v:singlequote} ${v:text}', custom), '.* All');
  });

  it('leaves unknown names and the macros alone, fills the built-ins, refuses what it does not know', () => {
    assert.equal(
      interpolateVariables('$__timeFilter(t) $nope $__interval_s $__from $__to $__interval_ms', none),
      `$__timeFilter(t) $nope $__interval_s ${from.getTime()} ${to.getTime()} 60000`,
    );
    const v = ctx(variable({ name: 'v' }));
    assert.throws(() => interpolateVariables('${v:lucene}', v), /format "lucene" is not supported/);
    assert.throws(() => interpolateVariables('${v.name}', v), /field paths/);
  });

  it('names the variables a query uses, built-ins apart', () => {
    assert.deepEqual(variableNames('$a ${b} ${c:csv} [[d]] $__from $__timeFilter(t) $a'), [
      'a',
      'b',
      'c',
      'd',
    ]);
  });
});

describe('a panel query, end to end', () => {
  const sql = `SELECT $__timeInterval(time) AS t, sum(bytes) FROM flows_1m
WHERE $__timeFilter(time) AND $__conditionalAll(vrouter IN (\${vrouter:singlequote}), $vrouter) GROUP BY t ORDER BY t`;

  it('expands conditionals, then variables, then macros', () => {
    const chosen = [variable({ name: 'vrouter', selected: ['compute-1', "x'y"] })];
    assert.equal(
      expandPanelSql(sql, { ...time, variables: chosen }),
      `SELECT toStartOfInterval(toDateTime(time), INTERVAL 60 second) AS t, sum(bytes) FROM flows_1m
WHERE time >= toDateTime(1415792726) AND time <= toDateTime(1447328726) AND vrouter IN ('compute-1','x\\'y') GROUP BY t ORDER BY t`,
    );
    assert.match(
      expandPanelSql(sql, { ...time, variables: [variable({ name: 'vrouter' })] }),
      /AND 1=1 GROUP/,
    );
  });

  it('refuses macros it does not implement, naming them', () => {
    assert.throws(() => expandPanelSql('SELECT $__columns(a, b) FROM t', none), /\$__columns/);
    assert.throws(() => expandPanelSql("SELECT 1 SETTINGS $__adHocFilters('t')", none), /\$__adHocFilters/);
  });
});
