import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../common/config.js';
import { collectorOptions, MAX_CLOCK_SKEW_DAYS } from '../../../collector/config.js';

const skew = (value: string) => loadConfig(collectorOptions, { maxClockSkew: value }, {}).maxClockSkew;

describe('--max-clock-skew', () => {
  it('is capped so that one insert never spans more day partitions than ClickHouse accepts', () => {
    // 100 partitions, 7 days of retention behind the clock, 14 days of arrival one insert may mix, 1 for
    // the day boundaries.
    assert.equal(MAX_CLOCK_SKEW_DAYS, 78);
    assert.equal(skew('78d'), 78 * 86_400e3);
    assert.throws(
      () => skew('79d'),
      (err: Error) => {
        assert.match(err.message, /--max-clock-skew \/ FABRICSCOPE_MAX_CLOCK_SKEW = "79d": at most 78d/);
        assert.match(err.message, /7-day retention/);
        assert.match(err.message, /100 day partitions .* \(max_partitions_per_insert_block\)/);
        return true;
      },
    );
  });

  it('refuses the value from the environment as well, naming the variable', () => {
    assert.throws(
      () => loadConfig(collectorOptions, {}, { FABRICSCOPE_MAX_CLOCK_SKEW: '150d' }),
      /FABRICSCOPE_MAX_CLOCK_SKEW = "150d": at most 78d/,
    );
  });
});
