import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writerOptions } from '../../../writer/config.js';

describe('--snapshot-interval', () => {
  const parse = (text: string) => writerOptions.snapshotInterval.schema.safeParse(text);
  it('takes 1m to 1d, refusing longer: the TTLs keep events a day past the retention', () => {
    assert.equal(parse('6h').data, 6 * 3600e3);
    assert.equal(parse('1d').success, true);
    assert.match(parse('2d').error?.issues[0]?.message ?? '', /between 1m and 1d/);
    assert.equal(parse('10s').success, false);
  });
});
