import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeenBatches } from '../../../writer/seen-batches.js';

const id = (seq: number, epoch = 1, generator = 'c1:Compute:contrail-vrouter-agent:0') => ({
  generator,
  epoch,
  seq,
});

describe('seen batches', () => {
  it('recognises a batch stored before, per generator and epoch', () => {
    const seen = new SeenBatches();
    seen.add(id(0));
    seen.add(id(2));
    assert.equal(seen.has(id(0)), true);
    assert.equal(seen.has(id(1)), false);
    assert.equal(seen.has(id(2)), true);
    assert.equal(seen.has(id(0, 2)), false);
    assert.equal(seen.has(id(0, 1, 'other:Compute:m:0')), false);
  });

  it('stays small over a long contiguous run and remembers it', () => {
    const seen = new SeenBatches(16);
    for (let seq = 0; seq < 100_000; seq++) seen.add(id(seq));
    assert.equal(seen.has(id(99_999)), true);
    assert.equal(seen.has(id(5)), true);
    assert.equal(seen.has(id(100_000)), false);
  });

  it('passes a gap that lags more than the horizon behind', () => {
    const seen = new SeenBatches(4);
    seen.add(id(0));
    for (let seq = 2; seq < 10; seq++) seen.add(id(seq));
    // seq 1 never came; once more than 4 newer batches exist it counts as settled, not as missing
    assert.equal(seen.has(id(1)), true);
    assert.equal(seen.has(id(10)), false);
  });

  it('forgets idle epochs', () => {
    const seen = new SeenBatches(8, 1000);
    seen.add(id(3));
    seen.prune(Date.now() + 5000);
    assert.equal(seen.has(id(3)), false);
  });
});
