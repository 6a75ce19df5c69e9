import { isObject } from '../../common/model/alarm-rules/json.js';
import { jsonOfText } from './json-texts.js';

/**
 * Operand paths over a UVE, with the semantics of TF alarm-gen (contrail-opserver/alarmgen.py,
 * `_get_uve_attribute` and `_get_attribute_from_uve_path`):
 *
 * - `Struct.attr.attr` walks objects; a list met while components remain is descended into, item by
 *   item (implicit descent), and the path then yields one value per item;
 * - `*` and `__value` yield every value of an object, `__key` every key, again one value per entry;
 * - a string met while components remain is read as JSON (TF generators send nested structs as JSON
 *   text) and walked on;
 * - a missing last attribute is the value null; a missing attribute before the last leaves the path
 *   unresolved, which fails the condition, unless the path already fanned out, where the item's value
 *   is null.
 *
 * TF nests one list per fan-out; a path that fans out twice (a list in a list) makes it raise an
 * exception. Here every fan-out is flattened into one list of values, in document order.
 */

/** One step walked, so that variables can later be read beside the value (TF's `uve_path`). */
export type Step =
  | { kind: 'attr'; name: string; value: unknown }
  | { kind: 'item'; value: unknown }
  | { kind: 'entry'; key: string; value: unknown };

export interface Resolved {
  value: unknown;
  /** False when the walk stopped before the path's end. */
  complete: boolean;
  trail: readonly Step[];
}

/** A path's value: one, or (when it went through a list or a wildcard) one per item. */
export type Operand = { fanned: false; one: Resolved } | { fanned: true; each: Resolved[] };

export function resolve(root: unknown, path: readonly string[]): Operand {
  const each: Resolved[] = [];
  const fanned = walk(root, path, [], each);
  const one = each[0];
  return !fanned && one !== undefined ? { fanned: false, one } : { fanned: true, each };
}

/** Appends what `path` yields from `node` to `out`; true if the walk fanned out on the way. */
function walk(node: unknown, path: readonly string[], trail: Step[], out: Resolved[]): boolean {
  const [head, ...rest] = path;
  if (head === undefined || node === null || node === undefined) {
    out.push({ value: node ?? null, complete: head === undefined, trail });
    return false;
  }
  if (Array.isArray(node)) {
    node.forEach((item) => walk(item, path, [...trail, { kind: 'item', value: item }], out));
    return true;
  }
  if (typeof node === 'string') return walk(jsonOfText(node), path, trail, out);
  if (!isObject(node)) {
    out.push({ value: null, complete: false, trail });
    return false;
  }
  if (head === '*' || head === '__value' || head === '__key') {
    for (const [key, value] of Object.entries(node)) {
      const step: Step = { kind: 'entry', key, value };
      walk(head === '__key' ? key : value, rest, [...trail, step], out);
    }
    return true;
  }
  const value = own(node, head);
  return walk(value, rest, [...trail, { kind: 'attr', name: head, value }], out);
}

/**
 * A variable's value beside one match: the variable's path is followed along the match's trail as
 * far as they agree (`*` agrees with any step, a list item is passed over), `__key` / `__value` name
 * the entry at that point, and the rest of the path is read from the deepest object reached. So
 * `NodeStatus.process_status.module_id` beside `NodeStatus.process_status.state` reads the module of
 * the very process whose state matched.
 */
export function variableValue(path: readonly string[], trail: readonly Step[]): unknown {
  let reached: Step | undefined;
  let at = 0;
  let used = 0;
  for (; used < path.length && at < trail.length; used++) {
    const part = path[used];
    const step = trail[at] as Step;
    if (part === '__key') return keyOf(step);
    if (part === '__value') return step.value;
    if (part !== '*' && part !== keyOf(step)) break;
    reached = step;
    at++;
    const next = trail[at];
    if (next?.kind === 'item') {
      reached = next;
      at++;
    }
  }
  if (reached === undefined) return null;
  let value = reached.value;
  for (const part of path.slice(used)) value = isObject(value) ? own(value, part) : null;
  return value ?? null;
}

// TF keys a list item '__list_element__', which no path component names but `*` agrees with.
function keyOf(step: Step): string {
  return step.kind === 'attr' ? step.name : step.kind === 'entry' ? step.key : '__list_element__';
}

// Own properties only: an attribute called "constructor" must not find Object.prototype's.
function own(node: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(node, name) ? node[name] : undefined;
}
