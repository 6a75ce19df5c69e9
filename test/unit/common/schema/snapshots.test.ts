import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snapshotInstants } from '../../../../common/schema/snapshots.js';

const HOUR = 3600e6;
const DAY = 24 * HOUR;
/** A Monday noon, in µs: instants below are multiples of 6h before it. */
const now = Date.UTC(2025, 5, 2, 12, 30) * 1000;
const latest = Date.UTC(2025, 5, 2, 12) * 1000;

describe('the instants a snapshot pass takes', () => {
  it('takes the latest multiple of the interval, once', () => {
    assert.deepEqual(snapshotInstants(latest - 6 * HOUR, now, 6 * HOUR), [latest]);
    assert.deepEqual(snapshotInstants(latest, now, 6 * HOUR), []);
  });

  it('takes only the latest when there was none: every event is still there', () => {
    assert.deepEqual(snapshotInstants(0, now, 6 * HOUR), [latest]);
  });

  it('after a gap, takes one a day back to the last one, oldest first', () => {
    assert.deepEqual(snapshotInstants(latest - 3 * DAY, now, 6 * HOUR), [
      latest - 2 * DAY,
      latest - DAY,
      latest,
    ]);
    // An interval that does not divide a day: steps of whole intervals, at least a day.
    assert.deepEqual(snapshotInstants(latest - 2 * DAY, now, 5 * HOUR).length, 2);
  });

  it('after a gap longer than snapshots are kept, goes back no further than they are', () => {
    const instants = snapshotInstants(latest - 100 * DAY, now, HOUR);
    assert.equal(instants.length, 31);
    assert.ok(instants[0]! > now - 31 * DAY);
  });
});
