import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, printableConfig } from '../../../../common/config.js';
import { options } from '../../../../bin/config.js';
import { receives } from '../../../../alarms/notify/receivers.js';

const SECRET = 'a-receiver-secret-of-some-length';
const hook = (extra: object = {}) => ({
  name: 'ops',
  url: 'https://ops.example/hook',
  secret: SECRET,
  ...extra,
});
const webhooks = (value: unknown) =>
  loadConfig(options, { alarmWebhooks: JSON.stringify(value) }, {}).alarmWebhooks;
const alarm = {
  alarmType: 'default-global-system-config:system-defined-bgp-connectivity',
  severity: 1,
  uveType: 'control-node',
  uveName: 'control-1',
};

describe('webhook receivers', () => {
  it('reads them from JSON or from a file, with defaults', () => {
    const [inline] = webhooks([hook()]);
    assert.equal(inline?.concurrency, 4);
    assert.equal(inline?.timeout, 10_000);
    const file = join(mkdtempSync(join(tmpdir(), 'fs-hooks-')), 'hooks.json');
    writeFileSync(file, JSON.stringify([hook({ timeout: '2s' })]));
    assert.equal(loadConfig(options, { alarmWebhooks: file }, {}).alarmWebhooks[0]?.timeout, 2000);
  });

  it('names what is wrong, and never prints the value (it holds secrets)', () => {
    const refused = (value: unknown, why: RegExp) =>
      assert.throws(
        () => webhooks(value),
        (err: Error) => {
          assert.match(err.message, why);
          assert.doesNotMatch(err.message, new RegExp(SECRET));
          assert.match(err.message, /--alarm-webhooks \/ FABRICSCOPE_ALARM_WEBHOOKS = \(withheld\)/);
          return true;
        },
      );
    refused([hook({ url: 'ftp://x' })], /0\.url/);
    refused([hook({ secret: 'short' })], /0\.secret: at least 16/);
    refused([hook({ severities: ['loud'] })], /0\.severities/);
    refused([hook(), hook()], /receiver name ops is used twice/);
    refused([hook({ colour: 'red' })], /colour/);
    assert.throws(
      () => loadConfig(options, { alarmWebhooks: '/no/such/file.json' }, {}),
      /not a JSON array of receivers: ENOENT/,
    );
    // Not JSON: V8's error would quote a stretch of the text, the secret with it.
    assert.throws(
      () => loadConfig(options, { alarmWebhooks: `[{"name":"ops","secret":${SECRET}}]` }, {}),
      (err: Error) => {
        assert.match(err.message, /not a JSON array of receivers: its text is not valid JSON/);
        assert.doesNotMatch(err.message, new RegExp(SECRET.slice(0, 8)));
        return true;
      },
    );
  });

  it('prints the configuration with the secrets withheld', () => {
    const config = loadConfig(options, { alarmWebhooks: JSON.stringify([hook()]) }, {});
    const printed = JSON.stringify(printableConfig(options, config));
    assert.doesNotMatch(printed, new RegExp(SECRET));
    assert.match(printed, /"url":"https:\/\/ops.example\/hook","secret":"\(withheld\)"/);
  });

  it('takes an alarm when every filter given holds: severity, type (fq or short, glob), UVE type, name glob', () => {
    const takes = (filters: object) => receives(webhooks([hook(filters)])[0]!, alarm);
    assert.equal(takes({}), true);
    assert.equal(takes({ severities: ['critical', 'major'] }), true);
    assert.equal(takes({ severities: ['minor'] }), false);
    assert.equal(takes({ types: ['system-defined-bgp-connectivity'] }), true);
    assert.equal(takes({ types: [alarm.alarmType] }), true);
    assert.equal(takes({ types: ['*-connectivity'] }), true);
    assert.equal(takes({ types: ['*disk*'] }), false);
    assert.equal(takes({ uveTypes: ['vrouter'] }), false);
    assert.equal(takes({ uveTypes: ['control-node'], names: ['control-?'] }), true);
    assert.equal(takes({ names: ['control.1'] }), false, 'a dot is a dot, not any character');
    assert.equal(takes({ names: ['compute-*'] }), false);
  });
});
