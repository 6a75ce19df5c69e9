/**
 * JSON text begins, after its whitespace, with one of these. Most strings a rule compares (states,
 * names) do not, and are refused here: a JSON.parse that throws costs far more than this test, and
 * was the engine's hottest path (bench/alarms.ts).
 */
const JSON_START = /^[ \t\n\r]*(?:[{["\-0-9]|true|false|null)/;

/** JSON text → its value, or undefined when it is not JSON (TF's `json.loads` in a try). */
export function parseJson(text: string): unknown {
  if (!JSON_START.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
