import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { GeneratorEvent } from '../../../collector/generator-events.js';
import { FabricError } from '../../../common/errors.js';
import { registry } from '../../../common/metrics.js';
import { peerAddress, Sessions, type SessionOptions } from '../../../collector/sessions.js';

const generator = 'compute-1:Compute:contrail-vrouter-agent:0';

function sessions(graceMs: number, limits: Partial<SessionOptions> = {}) {
  const events: string[] = [];
  const report = async (e: GeneratorEvent) => void events.push(`${e.event}@${e.epoch}`);
  return { events, sessions: new Sessions({ graceMs, report, ...limits }) };
}

/** The code of the error fn throws, or 'none'. */
function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof FabricError ? `${err.code}: ${err.message}` : String(err);
  }
}

const gaugeValue = async (name: string): Promise<number> =>
  (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

describe('generator sessions', () => {
  it('reports connect and disconnect, withdraws once the grace period passes without a reconnect, then forgets it', () => {
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
      assert.equal(session.status, 'withdrawn');
      // The warehouse has the withdrawal; the collector keeps nothing of the generator.
      assert.deepEqual(s.list(), []);
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

  it('holds nothing of Hello-then-hang-up streams once their grace has passed', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { events, sessions: s } = sessions(30_000);
      for (let i = 0; i < 2000; i++) {
        const name = `host-${i}:Compute:contrail-vrouter-agent:0`;
        s.close(s.open(name, 1, `ipv4:10.0.${i >> 8}.${i & 255}:${40000 + i}`));
      }
      assert.deepEqual(s.sizes(), { generators: 2000, streams: 0, peers: 0, pendingWithdrawals: 2000 });
      mock.timers.tick(30_000);
      assert.deepEqual(s.sizes(), { generators: 0, streams: 0, peers: 0, pendingWithdrawals: 0 });
      assert.equal(events.filter((e) => e.startsWith('WITHDRAWN')).length, 2000);
    } finally {
      mock.timers.reset();
    }
  });

  it('counts a stream once however many times its end is reported', () => {
    const { sessions: s } = sessions(1000);
    const first = s.open(generator, 1, 'ipv4:10.0.0.1:1');
    const second = s.open(generator, 1, 'ipv4:10.0.0.1:2');
    s.close(first);
    s.close(first);
    assert.deepEqual(s.sizes(), { generators: 1, streams: 1, peers: 1, pendingWithdrawals: 0 });
    s.close(second);
    s.close(second);
    assert.deepEqual(s.sizes(), { generators: 1, streams: 0, peers: 0, pendingWithdrawals: 1 });
    s.stop();
  });
});

describe('stream limits', () => {
  const other = (i: number) => `compute-${i}:Compute:contrail-vrouter-agent:0`;

  it('refuses a stream over --max-streams-per-peer from one address, whatever its port, and takes it again once one closes', async () => {
    const { sessions: s } = sessions(1000, { maxStreamsPerPeer: 2 });
    const first = s.open(other(1), 1, 'ipv4:10.0.0.1:4001');
    s.open(other(2), 1, 'ipv4:10.0.0.1:4002');
    assert.match(
      refusal(() => s.open(other(3), 1, 'ipv4:10.0.0.1:4003')),
      /^RESOURCE_EXHAUSTED: ipv4:10\.0\.0\.1 has 2 open streams, .*--max-streams-per-peer/,
    );
    assert.equal(
      refusal(() => s.open(other(3), 1, 'ipv4:10.0.0.2:4003')),
      'none',
    );
    assert.equal(await gaugeValue('fabricscope_collector_streams_open'), 3);
    s.close(first);
    assert.equal(
      refusal(() => s.open(other(4), 1, 'ipv4:10.0.0.1:4004')),
      'none',
    );
    // The refused stream left no trace.
    assert.deepEqual(s.sizes(), { generators: 4, streams: 3, peers: 2, pendingWithdrawals: 1 });
    s.stop();
  });

  it('refuses a stream over --max-streams in all, a second stream of a connected generator too', () => {
    const { events, sessions: s } = sessions(1000, { maxStreams: 2 });
    s.open(other(1), 1, 'ipv4:10.0.0.1:1');
    s.open(other(2), 1, 'ipv4:10.0.0.2:1');
    assert.match(
      refusal(() => s.open(other(3), 1, 'ipv4:10.0.0.3:1')),
      /^RESOURCE_EXHAUSTED: .*--max-streams\)/,
    );
    assert.match(
      refusal(() => s.open(other(1), 2, 'ipv4:10.0.0.1:2')),
      /^RESOURCE_EXHAUSTED/,
    );
    assert.deepEqual(events, ['CONNECTED@1', 'CONNECTED@1']);
    assert.equal(s.list('connected')[0]!.epoch, 1);
  });

  it('groups a peer by its address without the port', () => {
    assert.equal(peerAddress('ipv4:10.0.0.1:5000'), 'ipv4:10.0.0.1');
    assert.equal(peerAddress('ipv6:[::1]:5000'), 'ipv6:[::1]');
    assert.equal(peerAddress('unix:/run/fabricscope.sock'), 'unix:/run/fabricscope.sock');
  });
});
