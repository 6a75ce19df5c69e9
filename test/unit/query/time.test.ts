import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange, parseTime, toRfc3339 } from '../../../query/shared/time.js';

const now = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('query times', () => {
  it('reads relative times against now', () => {
    assert.equal(parseTime('now', 'to', now), now * 1000);
    assert.equal(parseTime('now-15m', 'from', now), (now - 15 * 60e3) * 1000);
    assert.equal(parseTime('now+1h', 'to', now), (now + 3600e3) * 1000);
    assert.equal(parseTime('now-7d', 'from', now), (now - 7 * 86400e3) * 1000);
  });

  it('reads RFC 3339 with offsets and microseconds', () => {
    assert.equal(parseTime('2026-11-23T12:00:00Z', 'from'), now * 1000);
    assert.equal(parseTime('2026-11-23T13:00:00+01:00', 'from'), now * 1000);
    assert.equal(parseTime('2026-11-23T12:00:00.000123Z', 'from'), now * 1000 + 123);
  });

  it('names the argument and value it cannot read', () => {
    assert.throws(
      () => parseTime('yesterday', 'from'),
      /from: "yesterday" is neither RFC 3339 nor like now-15m/,
    );
    assert.throws(() => parseTime('now-15x', 'to'), /to: "15x" is not a duration/);
    assert.throws(() => parseRange('now', 'now-1h', now), /from \(now\) must be before to \(now-1h\)/);
  });

  it('defaults to the last hour and prints ClickHouse times as RFC 3339', () => {
    assert.deepEqual(parseRange(undefined, undefined, now), {
      fromUs: (now - 3600e3) * 1000,
      toUs: now * 1000,
    });
    assert.equal(toRfc3339('2026-11-23 07:36:37.054000'), '2026-11-23T07:36:37.054000Z');
  });
});
