import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configVersions } from '../../../../alarms/notify/stored.js';
import { planReceiverChange } from '../../../../common/notify/changes.js';
import { checkedReceiver } from '../../../../common/notify/receivers.js';
import { SecretBox } from '../../../../common/notify/secret-box.js';

const SECRET = 'a-receiver-secret-of-some-length';
const OTHER_SECRET = 'another-secret-of-some-length';
const box = new SecretBox(Buffer.alloc(32, 7));

describe('configured receivers stored at start', () => {
  const hook = (fields: object = {}) =>
    checkedReceiver({ name: 'ops', url: 'https://x/', secret: SECRET, ...fields });

  it('stores one new or changed, keeping a run-time disable; nothing when unchanged; deletes one removed', () => {
    const v1 = configVersions([], [hook()], 0, box);
    assert.deepEqual(
      v1.map((v) => [v.name, v.version, v.source, v.status, v.author]),
      [['ops', 1, 'config', 'enabled', 'config']],
    );
    assert.notEqual(v1[0]!.secret, SECRET, 'stored sealed');
    assert.equal(box.open(v1[0]!.secret), SECRET);
    assert.deepEqual(configVersions(v1, [hook()], 0, box), [], 'the same secret, sealed under another nonce');
    const disabled = [...v1, { ...v1[0]!, version: 2, status: 'disabled' as const }];
    const changed = configVersions(disabled, [hook({ secret: OTHER_SECRET })], 0, box);
    assert.deepEqual(
      changed.map((v) => [v.version, v.status, box.open(v.secret)]),
      [[3, 'disabled', OTHER_SECRET]],
    );
    const removed = configVersions(v1, [], 0, box);
    assert.deepEqual(
      removed.map((v) => [v.name, v.version, v.status, v.secret]),
      [['ops', 2, 'deleted', '']],
    );
    assert.deepEqual(configVersions([...v1, ...removed], [], 0, box), [], 'deleted once');
  });

  it('seals again a secret sealed under another key; without a key, stores none', () => {
    const v1 = configVersions([], [hook()], 0, new SecretBox(Buffer.alloc(32, 9)));
    const [resealed] = configVersions(v1, [hook()], 0, box);
    assert.deepEqual([resealed?.version, resealed && box.open(resealed.secret)], [2, SECRET]);
    const [unsealed] = configVersions(v1, [hook()], 0, undefined);
    assert.deepEqual([unsealed?.version, unsealed?.secret], [2, ''], 'no key: no secret stored');
    assert.deepEqual(configVersions([unsealed!], [hook()], 0, undefined), [], 'and nothing more');
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
    const [taken] = configVersions(api, [hook()], 0, box);
    assert.deepEqual([taken?.version, taken?.source, taken?.status], [2, 'config', 'enabled']);
    assert.deepEqual(
      configVersions(api, [], 0, box),
      [],
      'a receiver of the API is not the configuration’s to delete',
    );
  });
});
