/**
 * The output format of a request, for what the endpoint itself does with it (the Content-Type and
 * X-ClickHouse-Format headers, the Native framing): the engine applies the query's FORMAT clause
 * itself. The clause is found by skipping strings, quoted names and comments and taking the last
 * `FORMAT <name>` at the top level; this is not a SQL parser and guards nothing (the engine's
 * readonly setting does that).
 */
export function formatClause(query: string): string | undefined {
  const words: string[] = [];
  let depth = 0;
  let found: string | undefined;
  for (let i = 0; i < query.length;) {
    const c = query[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = closing(query, i, c);
      words.length = 0;
    } else if (query.startsWith('--', i) || c === '#') i = lineEnd(query, i);
    else if (query.startsWith('/*', i))
      i = query.includes('*/', i + 2) ? query.indexOf('*/', i + 2) + 2 : query.length;
    else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i, i + 256))![0];
      i += word.length;
      if (depth === 0 && words.at(-1)?.toUpperCase() === 'FORMAT' && endsClause(query, i)) found = word;
      words.push(word);
    } else {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      if (!/\s/.test(c)) words.length = 0;
      i++;
    }
  }
  return found;
}

const closing = (text: string, start: number, quote: string): number => {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
};

const lineEnd = (text: string, start: number): number => {
  const end = text.indexOf('\n', start);
  return end < 0 ? text.length : end + 1;
};

/** A format name is followed by the end, `;`, a comment or the SETTINGS clause. */
const endsClause = (text: string, start: number): boolean =>
  /^\s*($|;|--|#|\/\*|SETTINGS\b)/i.test(text.slice(start, start + 64));

/** The Content-Type ClickHouse gives each family of formats. */
export function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json') || f.startsWith('ndjson')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv'))
    return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (['native', 'parquet', 'arrow', 'arrowstream', 'orc', 'avro', 'protobuf', 'msgpack'].includes(f))
    return 'application/octet-stream';
  if (f.startsWith('rowbinary')) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}
