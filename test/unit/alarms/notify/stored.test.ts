import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configVersions } from '../../../../alarms/notify/stored.js';
import { planReceiverChange } from '../../../../common/notify/changes.js';
import { checkedReceiver } from '../../../../common/notify/receivers.js';

const SECRET = 'a-receiver-secret-of-some-length';
const OTHER_SECRET = 'another-secret-of-some-length';

describe('configured receivers stored at start', () => {
  const hook = (fields: object = {}) =>
    checkedReceiver({ name: 'ops', url: 'https://x/', secret: SECRET, ...fields });

  it('stores one new or changed, keeping a run-time disable; nothing when unchanged; deletes one removed', () => {
    const v1 = configVersions([], [hook()], 0);
    assert.deepEqual(
      v1.map((v) => [v.name, v.version, v.source, v.status, v.author]),
      [['ops', 1, 'config', 'enabled', 'config']],
    );
    assert.deepEqual(configVersions(v1, [hook()], 0), []);
    const disabled = [...v1, { ...v1[0]!, version: 2, status: 'disabled' as const }];
    const changed = configVersions(disabled, [hook({ secret: OTHER_SECRET })], 0);
    assert.deepEqual(
      changed.map((v) => [v.version, v.status, v.secret]),
      [[3, 'disabled', OTHER_SECRET]],
    );
    const removed = configVersions(v1, [], 0);
    assert.deepEqual(
      removed.map((v) => [v.name, v.version, v.status, v.secret]),
      [['ops', 2, 'deleted', '']],
    );
    assert.deepEqual(configVersions([...v1, ...removed], [], 0), [], 'deleted once');
  });

  it('takes the name of a receiver written through the API', () => {
    const api = [
      planReceiverChange(
        [],
        {
          ...{ operation: 'create', name: 'ops', receiver: '{"url":"https://api.example/"}', secret: SECRET },
          ...{ expectedVersion: 0, author: 'me' },
        },
        0,
      )!,
    ];
    const [taken] = configVersions(api, [hook()], 0);
    assert.deepEqual([taken?.version, taken?.source, taken?.status], [2, 'config', 'enabled']);
    assert.deepEqual(
      configVersions(api, [], 0),
      [],
      'a receiver of the API is not the configuration’s to delete',
    );
  });
});
