import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configMarkdown } from '../../../common/config.js';
import { options } from '../../../bin/config.js';

const file = (name: string) => readFileSync(new URL(`../../../../${name}`, import.meta.url), 'utf8');
/** A markdown table row as its trimmed cells, so column padding does not matter. */
const cells = (line: string) =>
  line
    .split('|')
    .map((cell) => cell.trim())
    .join('|');

describe('configuration docs stay true to the code', () => {
  it('README carries the options table the code prints', () => {
    const readme = new Set(file('README.md').split('\n').map(cells));
    for (const row of configMarkdown(options).split('\n').slice(2)) {
      assert.ok(readme.has(cells(row)), `README lacks: ${row} (see fabricscope config --markdown)`);
    }
  });

  it('.env.example names every environment variable', () => {
    const example = file('.env.example');
    for (const o of Object.values(options)) assert.match(example, new RegExp(`^#?${o.env}=`, 'm'), o.env);
  });
});
