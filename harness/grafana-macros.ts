/**
 * A ClickHouse panel query as Grafana sends it to ClickHouse, so the suite can run the dashboards'
 * SQL: the three passes grafana-clickhouse-datasource (v4) makes, in its order.
 *
 * 1. Frontend, `applyConditionalAll` (src/data/CHDatasource.ts): `$__conditionalAll(cond, $var)` is
 *    replaced by `1=1` when the variable's current value is All (or empty), by `cond` otherwise.
 * 2. Frontend, Grafana's template service with the plugin's format function: `$var`, `${var}`,
 *    `[[var]]` and `${var:format}` become the variable's value. Without a format a multi-value
 *    variable gives `'a','b'` (unescaped) and a single value stays as it is; a format named in the
 *    reference wins (Grafana's format registry: singlequote, sqlstring, csv, …). All with no custom
 *    all-value is every option's value; a custom all-value is inserted raw.
 * 3. Backend, `macros.Interpolate` (pkg/macros/macros.go): `$__timeFilter(col)`, `$__fromTime`, … are
 *    expanded innermost first; an unknown `$__name` is left as it is (ClickHouse then refuses it).
 *
 * What it does not do it refuses, naming it, rather than guess: the statement macros ($__columns,
 * $__lttb, …), ad hoc filters, `${var.field}`, formats outside the list below. Macros inside string
 * literals, quoted identifiers and comments are left alone, as the plugin's lexer leaves them.
 */

export interface TimeContext {
  from: Date;
  to: Date;
  /** The panel's interval (Grafana's $__interval), in ms. */
  intervalMs: number;
}

/** A dashboard variable with its options and what is selected: 'all', or the values chosen. */
export interface VariableState {
  name: string;
  multi: boolean;
  includeAll: boolean;
  /** The option values (for All without a custom all-value). */
  options: readonly string[];
  /** A custom all-value (Grafana's `allValue`), inserted raw when All is selected. */
  allValue?: string;
  selected: 'all' | readonly string[];
}

export interface ExpandContext extends TimeContext {
  variables: readonly VariableState[];
}

/** The plugin's backend macros (macros.go ClickHouseMacros) this expander implements. */
const backendMacros = [
  'timeFilter',
  'timeFilter_ms',
  'dateFilter',
  'dateTimeFilter',
  'dt',
  'fromTime',
  'toTime',
  'fromTime_ms',
  'toTime_ms',
  'timeInterval',
  'timeInterval_ms',
  'interval_s',
  'timeFrom',
  'timeTo',
  'timeGroup',
] as const;

/** Grafana's built-in variables this expander fills in (the template service replaces them). */
const builtins = ['__from', '__to', '__interval_ms'] as const;

/** Every `$__name` a dashboard may use: what the three passes expand. */
export const supportedMacros: ReadonlySet<string> = new Set([
  ...backendMacros,
  'conditionalAll',
  ...builtins,
]);

/** The `$__name`s in SQL, in order of appearance, each once (outside literals and comments). */
export function macroNames(sql: string): string[] {
  const names = new Set<string>();
  for (const piece of lex(sql)) {
    if (piece.kind !== 'code') continue;
    for (const m of piece.text.matchAll(/\$__(\w+)/g)) names.add(m[1]!);
  }
  return [...names];
}

/** The variables a query refers to (`$v`, `${v}`, `${v:fmt}`, `[[v]]`), built-ins excluded. */
export function variableNames(sql: string): string[] {
  const names = new Set<string>();
  for (const m of sql.matchAll(variablePattern())) {
    const name = m[1] ?? m[2] ?? m[4]!;
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}

/** The SQL ClickHouse receives for a panel query: the three passes in the plugin's order. */
export function expandPanelSql(sql: string, ctx: ExpandContext): string {
  const unsupported = macroNames(sql).filter((name) => !supportedMacros.has(name));
  if (unsupported.length > 0)
    throw new Error(
      `macros this expander does not implement: ${unsupported.map((n) => `$__${n}`).join(', ')}`,
    );
  return expandMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx), ctx);
}

// ---- 1. $__conditionalAll (the plugin's frontend) ----

/** The variable's `current.value` as Grafana's model holds it: '$__all' (in a list when multi) for All. */
function currentValue(variable: VariableState): string | readonly string[] {
  if (variable.selected === 'all') return variable.multi ? ['$__all'] : '$__all';
  return variable.multi ? variable.selected : (variable.selected[0] ?? '');
}

/**
 * The plugin's applyConditionalAll: from the last occurrence back, the arguments split at commas one
 * bracket deep (quotes not considered), the variable read from the second with its regex, and the
 * macro text replaced (first occurrence) by `1=1` or the first argument untouched.
 */
export function applyConditionalAll(sql: string, variables: readonly VariableState[]): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const params = macroArgs(sql, at + macro.length - 1);
    if (params.length !== 2) return sql;
    const reference = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(params[1]!.trim());
    let phrase = params[0]!;
    if (reference) {
      const variable = variables.find((v) => v.name === reference[0]);
      const value = variable === undefined ? undefined : currentValue(variable).toString();
      if (value === '' || value === '$__all') phrase = '1=1';
    }
    sql = sql.replace(`${macro}${params[0]},${params[1]})`, phrase);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

/** The plugin's getMacroArgs: `argsIndex` is at the opening bracket; [] when it never closes. */
function macroArgs(sql: string, argsIndex: number): string[] {
  const args: string[] = [];
  const rest = sql.substring(argsIndex);
  const re = /\(|\)|,/g;
  let depth = 0;
  let start = 1;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(rest.substring(start, re.lastIndex - 1));
      start = re.lastIndex;
    }
    if (depth === 0) {
      args.push(rest.substring(start, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

// ---- 2. Template variables (Grafana's template service, the plugin's format function) ----

/** Grafana's variable syntax: $name | [[name:fmt]] | ${name.fieldPath:fmt}. */
const variablePattern = () => /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

type Value = string | readonly string[];

/** The plugin's own format (CHDatasource.format): a list quoted and joined, a single value as is. */
const pluginFormat = (value: Value): string =>
  Array.isArray(value) ? `'${value.join("','")}'` : String(value);

const quoteEach = (value: Value, quote: (v: string) => string): string =>
  (typeof value === 'string' ? [value] : value).map(quote).join(',');

/** Grafana's format registry, the formats SQL uses (@grafana/scenes formatRegistry). */
const formats: Record<string, (value: Value) => string> = {
  raw: (value) => String(value),
  csv: (value) => (typeof value === 'string' ? value : value.join(',')),
  pipe: (value) => (typeof value === 'string' ? value : value.join('|')),
  singlequote: (value) => quoteEach(value, (v) => `'${v.replace(/'/g, "\\'")}'`),
  doublequote: (value) => quoteEach(value, (v) => `"${v.replace(/"/g, '\\"')}"`),
  sqlstring: (value) => quoteEach(value, (v) => `'${v.replace(/'|"/g, (c) => (c === "'" ? "''" : '\\"'))}'`),
  text: (value) => (typeof value === 'string' ? value : value.join(' + ')),
};

/** `$var` and its forms replaced as the template service does; an unknown name is left as is. */
export function interpolateVariables(sql: string, ctx: ExpandContext): string {
  return sql.replace(variablePattern(), (match, var1, var2, fmt2, var3, fieldPath, fmt3) => {
    const name = (var1 ?? var2 ?? var3) as string;
    const format = (fmt2 ?? fmt3) as string | undefined;
    if (fieldPath !== undefined) throw new Error(`\${${name}.${fieldPath}}: field paths are not supported`);
    const builtin = builtinValue(name, ctx);
    if (builtin !== undefined) {
      if (format !== undefined)
        throw new Error(`\${${name}:${format}}: formats of built-ins are not supported`);
      return builtin;
    }
    const variable = ctx.variables.find((v) => v.name === name);
    return variable === undefined ? match : formatted(variable, format);
  });
}

function builtinValue(name: string, ctx: TimeContext): string | undefined {
  if (name === '__from') return String(ctx.from.getTime());
  if (name === '__to') return String(ctx.to.getTime());
  if (name === '__interval_ms') return String(ctx.intervalMs);
  return undefined;
}

function formatted(variable: VariableState, format: string | undefined): string {
  if (format !== undefined && !(format in formats))
    throw new Error(`\${${variable.name}:${format}}: format "${format}" is not supported`);
  if (variable.selected === 'all') {
    if (!variable.includeAll) throw new Error(`$${variable.name}: All selected on a variable without All`);
    // A custom all-value is inserted as written, whatever the format (but text, which says All).
    if (variable.allValue !== undefined) return format === 'text' ? 'All' : variable.allValue;
  }
  const values = variable.selected === 'all' ? variable.options : variable.selected;
  const value: Value = variable.multi ? values : (values[0] ?? '');
  return format === undefined ? pluginFormat(value) : formats[format]!(value);
}

// ---- 3. Backend macros (pkg/macros/macros.go) ----

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date): string => `toDateTime(${seconds(d)})`;
const dateTime64 = (d: Date): string => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;
const intervalSeconds = (ctx: TimeContext): number => Math.max(Math.trunc(ctx.intervalMs / 1000), 1);

type Macro = (ctx: TimeContext, args: string[]) => string;

/** A macro taking `arity` arguments; the plugin's error when called with another count. */
const taking =
  (arity: number, name: string, body: (ctx: TimeContext, args: string[]) => string): Macro =>
  (ctx, args) => {
    if (args.length !== arity)
      throw new Error(`$__${name} expected ${arity} argument(s), received ${args.length}`);
    return body(ctx, args);
  };

const range = (col: string, low: string, high: string): string => `${col} >= ${low} AND ${col} <= ${high}`;
const dateTimeFilter = taking(2, 'dateTimeFilter', (ctx, [d, t]) => {
  return `(${range(d!, date(ctx.from), date(ctx.to))}) AND (${range(t!, dateTime(ctx.from), dateTime(ctx.to))})`;
});

const macros: Record<(typeof backendMacros)[number], Macro> = {
  timeFilter: taking(1, 'timeFilter', (ctx, [c]) => range(c!, dateTime(ctx.from), dateTime(ctx.to))),
  timeFilter_ms: taking(1, 'timeFilter_ms', (ctx, [c]) =>
    range(c!, dateTime64(ctx.from), dateTime64(ctx.to)),
  ),
  dateFilter: taking(1, 'dateFilter', (ctx, [c]) => range(c!, date(ctx.from), date(ctx.to))),
  dateTimeFilter,
  dt: dateTimeFilter,
  fromTime: (ctx) => dateTime(ctx.from),
  toTime: (ctx) => dateTime(ctx.to),
  fromTime_ms: (ctx) => dateTime64(ctx.from),
  toTime_ms: (ctx) => dateTime64(ctx.to),
  timeInterval: taking(
    1,
    'timeInterval',
    (ctx, [c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(ctx)} second)`,
  ),
  timeInterval_ms: taking(
    1,
    'timeInterval_ms',
    (ctx, [c]) =>
      `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(Math.trunc(ctx.intervalMs), 1)} millisecond)`,
  ),
  interval_s: (ctx) => String(intervalSeconds(ctx)),
  timeFrom: taking(1, 'timeFrom', (ctx, [c]) => `${c} >= ${dateTime(ctx.from)}`),
  timeTo: taking(1, 'timeTo', (ctx, [c]) => `${c} <= ${dateTime(ctx.to)}`),
  timeGroup: taking(2, 'timeGroup', (_ctx, [c, period]) => {
    const secs = Math.round(goDurationSeconds(period!.trim().replace(/^['"]|['"]$/g, '')));
    if (!(secs > 0)) throw new Error(`$__timeGroup: interval must be positive, got "${period}"`);
    return `toStartOfInterval(toDateTime(${c!.trim()}), INTERVAL ${secs} second)`;
  }),
};

/** Go's time.ParseDuration, in seconds: "5m", "1h30m", "1.5h", "300ms". */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const parts = [...text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`$__timeGroup: invalid interval "${text}"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

/** The backend pass: every known `$__name` in code (not in literals or comments), innermost first. */
export function expandMacros(sql: string, ctx: TimeContext): string {
  const hidden = lex(sql).filter((piece) => piece.kind !== 'code');
  const inCode = (at: number) => !hidden.some((p) => at >= p.start && at < p.start + p.text.length);
  let out = '';
  let i = 0;
  const pattern = /\$__(\w+)/g;
  for (let m = pattern.exec(sql); m !== null; m = pattern.exec(sql)) {
    const name = m[1]!;
    if (!(name in macros) || !inCode(m.index)) continue;
    out += sql.slice(i, m.index);
    let end = pattern.lastIndex;
    let args: string[] = [];
    if (sql[end] === '(') {
      const close = closingBracket(sql, end);
      // Arguments are expanded first: a macro inside another's argument (the plugin's #2038).
      args = splitArgs(expandMacros(sql.slice(end + 1, close), ctx));
      end = close + 1;
    }
    out += macros[name as keyof typeof macros](ctx, args);
    i = end;
    pattern.lastIndex = end;
  }
  return out + sql.slice(i);
}

/** The index of the bracket closing the one at `open` (brackets inside literals do not count). */
function closingBracket(code: string, open: number): number {
  let depth = 0;
  for (const piece of lexFrom(code, open)) {
    if (piece.kind !== 'code') continue;
    for (let k = 0; k < piece.text.length; k++) {
      const c = piece.text[k];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return piece.start + k;
    }
  }
  throw new Error(`unclosed bracket after "${code.slice(0, open)}"`);
}

/** Arguments split at the commas outside brackets and literals, each trimmed; none for "()". */
function splitArgs(text: string): string[] {
  if (text.trim() === '') return [];
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (const piece of lex(text)) {
    if (piece.kind !== 'code') {
      current += piece.text;
      continue;
    }
    for (const c of piece.text) {
      if (c === '(') depth++;
      if (c === ')') depth--;
      if (c === ',' && depth === 0) {
        args.push(current.trim());
        current = '';
      } else current += c;
    }
  }
  return [...args, current.trim()];
}

// ---- The lexer: code, string literals, quoted identifiers, comments ----

interface Piece {
  kind: 'code' | 'quoted' | 'comment';
  text: string;
  start: number;
}

const lex = (sql: string): Piece[] => lexFrom(sql, 0);

/**
 * SQL split into code and what macros are not looked for in: '…' (backslash and doubled-quote
 * escapes), "…" and `…` identifiers, $tag$…$tag$ literals, -- and /* comments.
 */
function lexFrom(sql: string, from: number): Piece[] {
  const pieces: Piece[] = [];
  let codeStart = from;
  let i = from;
  const push = (kind: Piece['kind'], start: number, end: number) => {
    if (end > start) pieces.push({ kind, text: sql.slice(start, end), start });
  };
  while (i < sql.length) {
    const end = quotedEnd(sql, i);
    if (end === undefined) {
      i++;
      continue;
    }
    push('code', codeStart, i);
    push(sql[i] === '-' || sql[i] === '/' ? 'comment' : 'quoted', i, end);
    i = codeStart = end;
  }
  push('code', codeStart, sql.length);
  return pieces;
}

/** Where a literal or comment starting at `i` ends, or undefined when none starts there. */
function quotedEnd(sql: string, i: number): number | undefined {
  const c = sql[i]!;
  if (c === "'" || c === '"' || c === '`') {
    for (let k = i + 1; k < sql.length; k++) {
      if (sql[k] === '\\') k++;
      else if (sql[k] === c) {
        if (sql[k + 1] === c) k++;
        else return k + 1;
      }
    }
    return sql.length;
  }
  if (sql.startsWith('--', i)) {
    const eol = sql.indexOf('\n', i);
    return eol === -1 ? sql.length : eol;
  }
  if (sql.startsWith('/*', i)) {
    const close = sql.indexOf('*/', i + 2);
    return close === -1 ? sql.length : close + 2;
  }
  const tag = /^\$(\w*)\$/.exec(sql.slice(i));
  if (c === '$' && tag && !tag[1]!.startsWith('__')) {
    const close = sql.indexOf(tag[0], i + tag[0].length);
    return close === -1 ? sql.length : close + tag[0].length;
  }
  return undefined;
}
