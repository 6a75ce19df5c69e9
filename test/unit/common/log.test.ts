import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { pino } from 'pino';
import { rateLimited } from '../../../common/log.js';
import { registry } from '../../../common/metrics.js';

interface Line {
  level: number;
  component: string;
  msg: string;
  key?: string;
  suppressed?: number;
  generator?: string;
}

/** A component's logger writing JSON lines into an array, as pino would to stdout. */
function capture(component: string) {
  const lines: Line[] = [];
  const log = pino(
    { base: undefined, timestamp: false },
    { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  );
  return { lines, log: log.child({ component }) };
}

async function suppressedCount(component: string, message: string): Promise<number> {
  const { values } = await registry.getSingleMetric('fabricscope_log_lines_suppressed_total')!.get();
  return values.find((v) => v.labels.component === component && v.labels.message === message)?.value ?? 0;
}

describe('rate-limited log lines', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('writes the first lines of a key per interval, counts the rest and summarizes them when it ends', async () => {
    const { lines, log } = capture('storm');
    const limited = rateLimited(log, { perInterval: 3, intervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) limited.warn('no_hello g1', { generator: 'g1' }, 'publish stream refused');
    limited.warn('no_hello g2', { generator: 'g2' }, 'publish stream refused');
    assert.deepEqual(
      lines.map((l) => l.generator),
      ['g1', 'g1', 'g1', 'g2'],
    );
    assert.equal(await suppressedCount('storm', 'publish stream refused'), 997);

    mock.timers.tick(60_000);
    assert.equal(lines.length, 5);
    assert.deepEqual(lines[4], {
      level: 40,
      component: 'storm',
      key: 'no_hello g1',
      suppressed: 997,
      intervalMs: 60_000,
      msg: 'suppressed 997 similar lines: publish stream refused',
    });

    // A new interval: the key may write again, and a quiet one ends without a summary.
    limited.warn('no_hello g1', { generator: 'g1' }, 'publish stream refused');
    mock.timers.tick(60_000);
    assert.equal(lines.length, 6);
    assert.equal(lines[5]!.msg, 'publish stream refused');
  });

  it('limits the same key of different messages apart', () => {
    const { lines, log } = capture('messages');
    const limited = rateLimited(log, { perInterval: 1 });
    limited.info('g1', {}, 'generator connected');
    limited.info('g1', {}, 'generator connected');
    limited.info('g1', {}, 'generator disconnected');
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['generator connected', 'generator disconnected'],
    );
  });

  it('bounds a flood of ever new keys: past maxKeys they share one budget', async () => {
    const { lines, log } = capture('keys');
    const limited = rateLimited(log, { perInterval: 2, intervalMs: 1000, maxKeys: 10 });
    for (let i = 0; i < 5000; i++) limited.info(`gen-${i}`, { generator: `gen-${i}` }, 'generator connected');
    assert.equal(lines.length, 10 + 2);
    assert.equal(await suppressedCount('keys', 'generator connected'), 5000 - 12);
    mock.timers.tick(1000);
    assert.equal(lines.length, 13);
    assert.equal(lines[12]!.key, '(other keys)');
    assert.equal(lines[12]!.suppressed, 5000 - 12);
  });

  it('counts nothing for lines below the level, which would not be written anyway', async () => {
    const { lines, log } = capture('quiet');
    log.level = 'warn';
    const limited = rateLimited(log, { perInterval: 1 });
    for (let i = 0; i < 10; i++) limited.info('k', {}, 'generator connected');
    assert.equal(lines.length, 0);
    assert.equal(await suppressedCount('quiet', 'generator connected'), 0);
  });
});
