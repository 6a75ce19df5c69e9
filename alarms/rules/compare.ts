import { isObject } from '../../common/model/alarm-rules/json.js';
import type { Operation } from '../../common/model/alarm-rules/types.js';
import { jsonOfText } from './json-texts.js';

/**
 * One comparison, with the semantics of TF alarm-gen's `_compare_operand_vals` (alarmgen.py):
 *
 * - a string holding JSON is compared as that JSON (TF generators send numbers and structs as text:
 *   `"3"` equals 3, `"\"10.1.1.1\""` equals "10.1.1.1");
 * - null (a missing attribute) orders below everything: `null <= x`, `x >= null` and `x > null` hold,
 *   `null < null` and `null > null` do not;
 * - `in` / `not in` need a list on the right (`not in` anything else holds), `size==` / `size!=` a
 *   list on the left (`size!=` of anything else holds), `range` is inclusive at both ends.
 *
 * Where Python would raise (ordering a number against a string, `range` of a missing value) TF's
 * engine catches the exception and raises the alarm with no matches; here such a comparison simply
 * does not hold. Equality is deep and, unlike Python's (`True == 1`), tells booleans from numbers.
 */
export function compare(left: unknown, right: unknown, operation: Operation): boolean {
  const a = decoded(left);
  const b = decoded(right);
  switch (operation) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case '<':
      return a === null ? b !== null : b !== null && ordered(a, b, (x, y) => x < y);
    case '<=':
      return a === null || (b !== null && ordered(a, b, (x, y) => x <= y));
    case '>':
      return b === null ? a !== null : a !== null && ordered(a, b, (x, y) => x > y);
    case '>=':
      return b === null || (a !== null && ordered(a, b, (x, y) => x >= y));
    case 'in':
      return Array.isArray(b) && b.some((item) => deepEqual(a, item));
    case 'not in':
      return !Array.isArray(b) || !b.some((item) => deepEqual(a, item));
    case 'range':
      return inRange(a, b);
    case 'size==':
      return Array.isArray(a) && a.length === b;
    case 'size!=':
      return !Array.isArray(a) || a.length !== b;
  }
}

/** A string that parses as JSON is that JSON; a missing value is null. */
function decoded(value: unknown): unknown {
  if (typeof value === 'string') {
    const parsed = jsonOfText(value);
    return parsed === undefined ? value : parsed;
  }
  return value ?? null;
}

type Ordered = number | string;

// Numbers with numbers, strings with strings. Python would also order lists and booleans; a rule has
// no use for that, and an ordering it cannot mean does not hold.
function ordered(a: unknown, b: unknown, holds: (x: Ordered, y: Ordered) => boolean): boolean {
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  return comparable && holds(a, b);
}

function inRange(value: unknown, bounds: unknown): boolean {
  if (!Array.isArray(bounds) || bounds.length !== 2) return false;
  const [low, high] = bounds as unknown[];
  return ordered(low, value, (x, y) => x <= y) && ordered(value, high, (x, y) => x <= y);
}

/** Python's `==` on JSON values: lists item by item, objects key by key, whatever the key order. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]))
    );
  }
  return false;
}
