import { filters, type FilterSpec } from '../fields.js';

/**
 * The field names of the filter language, derived from the structured filter's (FlowFilter, from the
 * catalog), so a field added there is a field here: source/dest become src./dst. and camelCase
 * becomes snake_case (sourcePort → src.port, dropReason → drop_reason, vn for either end). Names are
 * read case-insensitively and without regard to underscores; the FlowFilter names themselves, a
 * `source.`/`dest.` prefix and a few names Hubble and Akvorado users type are accepted too.
 */

export interface LanguageField {
  /** The FlowFilter field it tests. */
  filter: string;
  spec: FilterSpec;
}

const ends: [RegExp, string][] = [
  [/^source(?=[A-Z])/, 'src.'],
  [/^dest(?=[A-Z])/, 'dst.'],
];

/** sourcePort → src.port, dropReason → drop_reason */
function languageName(filter: string): string {
  let name = filter;
  for (const [end, prefix] of ends) name = name.replace(end, prefix);
  return name
    .replace(/\.([A-Z])/, (_, c: string) => `.${c.toLowerCase()}`)
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** How a name is looked up: case and underscores ignored, source./dest. read as src./dst. */
const key = (name: string): string =>
  name
    .toLowerCase()
    .replace(/_/g, '')
    .replace(/^source\./, 'src.')
    .replace(/^dest(ination)?\./, 'dst.');

/** Other names for a field (at either end, or one end with src./dst.). */
const aliases: Record<string, string> = {
  pod: 'workload',
  vm: 'workload',
  verdict: 'action',
  proto: 'protocol',
};

const byKey = new Map<string, LanguageField>();
for (const [filter, spec] of Object.entries(filters)) {
  byKey.set(key(languageName(filter)), { filter, spec });
  byKey.set(key(filter), { filter, spec });
}
for (const [alias, target] of Object.entries(aliases))
  for (const end of ['', 'src.', 'dst.']) {
    const field = byKey.get(key(`${end}${target}`));
    if (field) byKey.set(key(`${end}${alias}`), field);
  }

/** The field a name in a filter means, if any. */
export const languageField = (name: string): LanguageField | undefined => byKey.get(key(name));

/** Every field's name in the language, in catalog order. */
export const languageFieldNames: readonly string[] = Object.keys(filters).map(languageName);
