import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import {
  effectiveReceivers,
  planReceiverChange,
  type ReceiverChange,
} from '../../../../common/notify/changes.js';
import {
  checkedReceiver,
  definitionOf,
  parseQuietly,
  receiverSchema,
} from '../../../../common/notify/receivers.js';
import type { ReceiverVersion } from '../../../../common/schema/alarm-receivers.js';

const SECRET = 'a-receiver-secret-of-some-length';
const OTHER_SECRET = 'another-secret-of-some-length';

const change = (fields: Partial<ReceiverChange> = {}): ReceiverChange => ({
  operation: 'create',
  name: 'ops',
  receiver: JSON.stringify({ url: 'https://ops.example/hook', severities: ['major'] }),
  secret: SECRET,
  expectedVersion: 0,
  author: 'me',
  ...fields,
});

/** The versions a sequence of changes stores, each planned over those before it. */
function stored(...changes: ReceiverChange[]): ReceiverVersion[] {
  const versions: ReceiverVersion[] = [];
  for (const c of changes) {
    const next = planReceiverChange(versions, { ...c, expectedVersion: versions.length }, versions.length);
    if (next) versions.push(next);
  }
  return versions;
}

/** Asserts the call is refused with `code`, its message matching `why` and never quoting a secret. */
function refused(call: () => unknown, code: string, why: RegExp): void {
  assert.throws(call, (err: FabricError) => {
    assert.equal(err.code, code);
    assert.match(err.message, why);
    assert.doesNotMatch(err.message, new RegExp(`${SECRET}|${OTHER_SECRET}|short-one`));
    return true;
  });
}

describe('webhook receivers: one validator for the configuration and the API', () => {
  it('names every field at fault, never its value', () => {
    refused(
      () => checkedReceiver({ name: 'a b', url: 'ftp://x', secret: 'short-one', severities: ['loud'] }),
      'INVALID_ARGUMENT',
      /name: a name of letters.*; url: .*; secret: at least 16 characters; severities\.0: /,
    );
    refused(
      () =>
        checkedReceiver({ name: 'ops', url: 'https://x', secret: SECRET, colour: 'red', timeout: 'soon' }),
      'INVALID_ARGUMENT',
      /colour.*timeout: not a duration|timeout: not a duration.*colour/,
    );
    refused(
      () => checkedReceiver({ name: 'ops', url: 'https://x', secret: 1234 }),
      'INVALID_ARGUMENT',
      /secret: /,
    );
  });

  it('parses JSON without quoting it when it is not JSON (V8 quotes a stretch of the text)', () => {
    const text = `[{"name":"ops","secret":${SECRET}}]`;
    assert.throws(() => JSON.parse(text), new RegExp(SECRET.slice(0, 8)), 'what parseQuietly guards against');
    refused(() => parseQuietly(text, 'the receivers'), 'INVALID_ARGUMENT', /the receivers is not valid JSON/);
  });

  it('stores a definition, defaults written out and no secret, that checks back to the same receiver', () => {
    const receiver = checkedReceiver({ name: 'ops', url: 'https://x/', secret: SECRET, timeout: '90s' });
    const definition = definitionOf(receiver);
    assert.deepEqual(definition, { url: 'https://x/', concurrency: 4, timeout: '90s' });
    assert.deepEqual(receiverSchema.parse({ ...definition, name: 'ops', secret: SECRET }), receiver);
    assert.equal(definitionOf(checkedReceiver({ ...receiver, timeout: '1500ms' })).timeout, '1500ms');
  });
});

describe('receiver changes', () => {
  it('creates a receiver of the API, enabled, its definition checked and written out', () => {
    const [v1] = stored(change());
    assert.deepEqual(
      { ...v1, receiver: JSON.parse(v1!.receiver) },
      {
        name: 'ops',
        version: 1,
        source: 'api',
        receiver: { url: 'https://ops.example/hook', severities: ['major'], concurrency: 4, timeout: '10s' },
        secret: SECRET,
        status: 'enabled',
        author: 'me',
        at: 0,
      },
    );
  });

  it('refuses a bad receiver naming its fields, a stale version, a receiver there twice or not there', () => {
    const versions = stored(change());
    refused(
      () => planReceiverChange([], change({ receiver: '{"url":"nope"}', secret: 'short-one' }), 0),
      'INVALID_ARGUMENT',
      /url: .*secret: at least 16/,
    );
    refused(
      () => planReceiverChange(versions, change({ expectedVersion: 1 }), 0),
      'FAILED_PRECONDITION',
      /exists \(api, version 1\)/,
    );
    refused(
      () => planReceiverChange(versions, change({ operation: 'disable', expectedVersion: 0 }), 0),
      'FAILED_PRECONDITION',
      /at version 1, not 0/,
    );
    refused(
      () => planReceiverChange([], change({ operation: 'enable' }), 0),
      'NOT_FOUND',
      /no alarm receiver ops/,
    );
  });

  it('replaces keeping the secret unless given, and the status; disables, enables, deletes', () => {
    const replace = change({ operation: 'replace', receiver: '{"url":"https://new.example/"}', secret: '' });
    const versions = stored(change(), change({ operation: 'disable' }), replace);
    assert.deepEqual(
      versions.map((v) => [v.version, v.status, v.secret === SECRET, JSON.parse(v.receiver).url]),
      [
        [1, 'enabled', true, 'https://ops.example/hook'],
        [2, 'disabled', true, 'https://ops.example/hook'],
        [3, 'disabled', true, 'https://new.example/'],
      ],
    );
    const rotated = stored(change(), { ...replace, secret: OTHER_SECRET });
    assert.equal(rotated[1]?.secret, OTHER_SECRET);
    assert.equal(
      planReceiverChange(versions, change({ operation: 'disable', expectedVersion: 3 }), 0),
      undefined,
      'disabling a disabled receiver stores nothing',
    );
    const deleted = stored(change(), change({ operation: 'delete' }));
    assert.deepEqual(
      [deleted[1]?.status, deleted[1]?.secret, deleted[1]?.receiver],
      ['deleted', '', ''],
      'a deletion keeps no secret',
    );
    assert.deepEqual(effectiveReceivers(deleted), { receivers: [], gone: ['ops'], faults: [] });
    assert.equal(
      stored(change(), change({ operation: 'delete' }), change()).at(-1)?.version,
      3,
      'created again, counting on',
    );
  });

  it('lets a configured receiver be disabled and enabled only', () => {
    const definition = definitionOf(checkedReceiver({ name: 'ops', url: 'https://x/', secret: SECRET }));
    const versions: ReceiverVersion[] = [
      {
        ...{
          name: 'ops',
          version: 1,
          source: 'config',
          receiver: JSON.stringify(definition),
          secret: SECRET,
        },
        ...{ status: 'enabled', author: 'config', at: 0 },
      },
    ];
    const at1 = (fields: Partial<ReceiverChange>) => change({ expectedVersion: 1, ...fields });
    refused(
      () => planReceiverChange(versions, at1({ operation: 'replace' }), 0),
      'FAILED_PRECONDITION',
      /--alarm-webhooks/,
    );
    refused(
      () => planReceiverChange(versions, at1({ operation: 'delete' }), 0),
      'FAILED_PRECONDITION',
      /--alarm-webhooks/,
    );
    const disabled = planReceiverChange(versions, at1({ operation: 'disable' }), 0);
    assert.deepEqual([disabled?.source, disabled?.status, disabled?.secret], ['config', 'disabled', SECRET]);
    const [inForce] = effectiveReceivers([...versions, disabled!]).receivers;
    assert.deepEqual(
      [inForce?.source, inForce?.enabled, inForce?.receiver.url],
      ['config', false, 'https://x/'],
    );
  });
});
