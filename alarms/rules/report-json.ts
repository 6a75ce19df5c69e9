import { isObject } from '../../common/model/alarm-rules/json.js';
import { jsonOfText } from './json-texts.js';

/**
 * A value as TF alarm-gen reports it in a match (`_get_json_value` in alarmgen.py): a string that
 * already holds JSON is reported as it is, anything else as Python's `json.dumps` writes it — `", "`
 * and `": "` separators, non-ASCII escaped — so that `json_operand1_value` reads `["a", "b"]` as in
 * TF, not `["a","b"]`. A missing value is `null`.
 */
export function reportJson(value: unknown): string {
  if (typeof value === 'string' && jsonOfText(value) !== undefined) return value;
  return dumps(value ?? null);
}

function dumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => dumps(item ?? null)).join(', ')}]`;
  if (isObject(value)) {
    const members = Object.entries(value).map(([key, item]) => `${dumps(key)}: ${dumps(item ?? null)}`);
    return `{${members.join(', ')}}`;
  }
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  return JSON.stringify(value) ?? 'null';
}

// Python's ensure_ascii: every UTF-16 code unit beyond ASCII as \uXXXX, lower-case hex.
function asciiOnly(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
