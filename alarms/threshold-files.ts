import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, invalid } from '../common/errors.js';
import { parseThresholdRule, type ThresholdRule } from '../common/model/alarm-rules/threshold.js';

/**
 * The threshold rules of a folder the operator names (--alarms-threshold-rules), one rule per
 * `*.json` file. A file that does not parse, or a name taken twice (by another file or a built-in),
 * stops the start, naming the file and the fault.
 */
export async function loadThresholdRules(dir: string, taken: ReadonlySet<string>): Promise<ThresholdRule[]> {
  if (dir === '') return [];
  const files = (await readdir(dir)).filter((file) => file.endsWith('.json')).sort();
  const rules: ThresholdRule[] = [];
  const names = new Set(taken);
  for (const file of files) {
    const path = join(dir, file);
    let rule: ThresholdRule;
    try {
      rule = parseThresholdRule(JSON.parse(await readFile(path, 'utf8')));
    } catch (err) {
      throw invalid(`${path}: ${errorMessage(err)}`);
    }
    if (names.has(rule.rule.fqName)) throw invalid(`${path}: another rule is named ${rule.rule.fqName}`);
    names.add(rule.rule.fqName);
    rules.push(rule);
  }
  return rules;
}
