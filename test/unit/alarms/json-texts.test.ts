import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonOfText } from '../../../alarms/rules/json-texts.js';

/** The texts rules compare, parsed once and shared: the same answer as JSON.parse, and unchangeable. */
describe('jsonOfText', () => {
  it('reads a text as JSON.parse does, and a text that is not JSON as undefined, every time', () => {
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(jsonOfText('{"build-info":[{"build-version":"2011"}]}'), {
        'build-info': [{ 'build-version': '2011' }],
      });
      assert.equal(jsonOfText('2011.138'), 2011.138);
      assert.equal(jsonOfText('10.1.1.1'), undefined);
      assert.equal(jsonOfText('null'), null);
    }
  });

  it('shares one value per text, frozen to its depth', () => {
    const text = '{"list":[{"state":"Functional"}]}';
    const value = jsonOfText(text) as { list: { state: string }[] };
    assert.equal(jsonOfText(text), value);
    assert.throws(() => {
      value.list[0]!.state = 'changed';
    }, TypeError);
    assert.throws(() => value.list.push({ state: 'more' }), TypeError);
  });

  it('parses texts too long to remember, and keeps answering once it has forgotten', () => {
    const long = JSON.stringify({ pad: 'x'.repeat(10_000) });
    assert.deepEqual(jsonOfText(long), JSON.parse(long));
    for (let i = 0; i < 5000; i++) assert.equal(jsonOfText(String(i)), i);
    assert.deepEqual(jsonOfText('{"a":1}'), { a: 1 });
  });
});
