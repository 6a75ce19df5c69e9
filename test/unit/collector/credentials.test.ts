import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Credentials } from '../../../collector/credentials.js';
import { Sessions } from '../../../collector/sessions.js';
import type { GeneratorEvent } from '../../../collector/generator-events.js';
import { FabricError } from '../../../common/errors.js';

const victim = 'compute-1:Compute:contrail-vrouter-agent:0';
const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return err instanceof FabricError ? err.code : String(err);
  }
};

describe('tokens bound to generator identities', () => {
  const credentials = new Credentials(['ops', 'c1-token=compute-1:*', 'ctl=control-?:*', 'c1-token=gw.1:*']);

  it('lets a token publish only as the identities its patterns allow', () => {
    assert.equal(credentials.check(victim, 'c1-token'), 'c1-token');
    assert.equal(credentials.check('gw.1:Gateway:bgp:0', 'c1-token'), 'c1-token');
    assert.equal(
      code(() => credentials.check('compute-2:Compute:contrail-vrouter-agent:0', 'c1-token')),
      'PERMISSION_DENIED',
    );
    assert.equal(credentials.check('control-2:Control:contrail-control:0', 'ctl'), 'ctl');
    assert.equal(
      code(() => credentials.check('control-12:Control:contrail-control:0', 'ctl')),
      'PERMISSION_DENIED',
    );
  });

  it('reads a pattern literally but for * and ?', () => {
    assert.equal(
      code(() => credentials.check('gwx1:Gateway:bgp:0', 'c1-token')),
      'PERMISSION_DENIED',
    );
  });

  it('lets a token without a pattern publish as anyone, and refuses an unknown token', () => {
    assert.equal(credentials.check(victim, 'ops'), 'ops');
    assert.equal(
      code(() => credentials.check(victim, 'guess')),
      'UNAUTHENTICATED',
    );
  });

  it('accepts every Hello when no token is configured (a trusted network)', () => {
    assert.equal(new Credentials([]).check(victim, 'anything'), '');
  });
});

describe('a connected generator under its credential', () => {
  const events: string[] = [];
  const report = async (e: GeneratorEvent) => void events.push(e.event);

  it('cannot be taken over by a stream with another credential', () => {
    const sessions = new Sessions({ graceMs: 1000, report });
    sessions.open(victim, 1, 'ipv4:10.0.0.1:1', 'c1-token');
    assert.equal(
      code(() => sessions.open(victim, 1, 'ipv4:10.6.6.6:1', 'ops')),
      'PERMISSION_DENIED',
    );
    assert.equal(sessions.list('connected')[0]!.peer, 'ipv4:10.0.0.1:1');
  });

  it('stays connected, nothing withdrawn, when a second stream of its own hangs up', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      events.length = 0;
      const sessions = new Sessions({ graceMs: 1000, report });
      sessions.open(victim, 1, 'ipv4:10.0.0.1:1', 'c1-token');
      const second = sessions.open(victim, 1, 'ipv4:10.0.0.1:2', 'c1-token');
      sessions.close(second);
      mock.timers.tick(5000);
      assert.deepEqual(events, ['CONNECTED', 'CONNECTED']);
      assert.equal(sessions.list('connected').length, 1);
    } finally {
      mock.timers.reset();
    }
  });
});
