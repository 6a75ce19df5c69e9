import { parseJson } from '../../common/model/alarm-rules/json.js';

/** Texts remembered at most, and the longest remembered: a bound on the memory (16 MiB of text). */
const MAX_TEXTS = 4096;
const MAX_TEXT_LENGTH = 4096;

const values = new Map<string, unknown>();

/**
 * parseJson for the texts that rules compare and walk, remembered: every evaluation of a UVE reads
 * the same ones again (a vRouter's NodeStatus: its package versions and build_info parsed three times
 * an evaluation, 150k times in ten seconds of bench/alarms.ts's engine alone), and a UVE's attributes
 * change far less often than its UVE is evaluated. The values are shared by every evaluation, so they
 * are frozen. When full, everything is forgotten at once: the texts in use come back at the next
 * evaluation.
 */
export function jsonOfText(text: string): unknown {
  const known = values.get(text);
  if (known !== undefined || values.has(text)) return known;
  const value = frozen(parseJson(text));
  if (text.length <= MAX_TEXT_LENGTH) {
    if (values.size >= MAX_TEXTS) values.clear();
    values.set(text, value);
  }
  return value;
}

function frozen(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  for (const item of Object.values(value)) frozen(item);
  return Object.freeze(value);
}
