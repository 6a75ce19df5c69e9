import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { GeneratorEvent } from '../../../collector/generator-events.js';
import { Sessions } from '../../../collector/sessions.js';

const generator = 'compute-1:Compute:contrail-vrouter-agent:0';

function sessions(graceMs: number) {
  const events: string[] = [];
  const report = async (e: GeneratorEvent) => void events.push(`${e.event}@${e.epoch}`);
  return { events, sessions: new Sessions({ graceMs, report }) };
}

describe('generator sessions', () => {
  it('reports connect and disconnect, and withdraws once the grace period passes without a reconnect', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { events, sessions: s } = sessions(30_000);
      const session = s.open(generator, 7, 'ipv4:10.0.0.1:5000');
      s.close(session);
      mock.timers.tick(29_999);
      assert.deepEqual(events, ['CONNECTED@7', 'DISCONNECTED@7']);
      assert.equal(s.list()[0]!.status, 'disconnected');
      mock.timers.tick(1);
      assert.deepEqual(events, ['CONNECTED@7', 'DISCONNECTED@7', 'WITHDRAWN@7']);
      assert.equal(s.list('withdrawn').length, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('does not withdraw a generator that came back within the grace period', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { events, sessions: s } = sessions(30_000);
      s.close(s.open(generator, 7, 'a'));
      mock.timers.tick(10_000);
      s.open(generator, 8, 'b');
      mock.timers.tick(60_000);
      assert.deepEqual(events, ['CONNECTED@7', 'DISCONNECTED@7', 'CONNECTED@8']);
      assert.equal(s.list('connected').length, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it('ignores the close of a stream a newer one replaced, and withdraws nothing when the collector stops', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { events, sessions: s } = sessions(1000);
      const old = s.open(generator, 7, 'a');
      s.open(generator, 8, 'b');
      s.close(old);
      assert.deepEqual(events, ['CONNECTED@7', 'CONNECTED@8']);
      s.close(s.list()[0]!);
      s.stop();
      mock.timers.tick(5000);
      assert.deepEqual(events, ['CONNECTED@7', 'CONNECTED@8', 'DISCONNECTED@8']);
    } finally {
      mock.timers.reset();
    }
  });
});
