import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson } from '../../../../common/model/alarm-rules/json.js';

/** parseJson is JSON.parse or undefined: the test it makes first refuses only what JSON.parse would. */
describe('parseJson', () => {
  it('reads JSON text of every kind, after JSON whitespace', () => {
    const texts = ['{"a": 1}', '[1, "b"]', '"x"', '-1.5e3', '0', ' \t\n\r3', 'true', 'false', 'null'];
    for (const text of texts) assert.deepEqual(parseJson(text), JSON.parse(text), text);
  });

  it('returns undefined for text that is not JSON, whether or not it begins like JSON', () => {
    const texts = [
      'PROCESS_STATE_RUNNING',
      'compute-1',
      '',
      ' ',
      '10.1.1.1',
      'nullable',
      'trueish',
      '{',
      '\u00a01',
    ];
    for (const text of texts) assert.equal(parseJson(text), undefined, text);
  });
});
