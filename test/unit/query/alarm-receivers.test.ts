import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoredReceivers } from '../../../alarms/notify/stored.js';
import { readAlarmCommand } from '../../../common/bus/alarm-commands.js';
import type { Bus, BusMessage } from '../../../common/bus/bus.js';
import { checkedReceiver } from '../../../common/notify/receivers.js';
import { SecretBox } from '../../../common/notify/secret-box.js';
import type { ReceiverVersion } from '../../../common/schema/alarm-receivers.js';
import type { QueryParams, Warehouse } from '../../../common/warehouse/warehouse.js';
import { createQueryApi } from '../../../query/index.js';

const SECRET = 'a-receiver-secret-of-some-length';
const CONFIG_SECRET = 'the-configured-receivers-secret';
const box = new SecretBox(Buffer.alloc(32, 3));

/** A warehouse holding alarm_receivers in memory: what the API reads and the engine (StoredReceivers) writes. */
function receiversWarehouse(): Warehouse & { versions: ReceiverVersion[] } {
  const versions: ReceiverVersion[] = [];
  return {
    versions,
    dictionarySource: () => '',
    query: async <T>(sql: string) => {
      assert.match(sql, /FROM alarm_receivers/);
      return versions.map((v) => ({ ...v, version: String(v.version), at_ms: String(v.at) })) as T[];
    },
    exec: async (sql: string, params?: QueryParams) => {
      assert.match(sql, /INSERT INTO alarm_receivers/);
      const v = params as unknown as ReceiverVersion;
      versions.push({ ...v, version: Number(v.version), at: Number(v.at) });
    },
    insertProtobuf: async () => undefined,
    insertRows: async () => undefined,
    close: async () => undefined,
  };
}

/** A bus to an engine that stores each receiver change it is sent; `sent` keeps the messages. */
function busToEngine(warehouse: Warehouse) {
  const engine = new StoredReceivers(warehouse, box);
  const sent: BusMessage[] = [];
  const bus = {
    broadcast: async (_kind: string, messages: BusMessage[]) => {
      for (const message of messages) {
        sent.push(message);
        const command = readAlarmCommand(message);
        assert.equal(command.kind, 'receiver');
        if (command.kind === 'receiver') await engine.apply(command);
      }
    },
  } as unknown as Bus;
  return { bus, sent };
}

/** The API's answer as text (what a client reads) and parsed. */
async function ask(
  warehouse: Warehouse,
  query: string,
  variables: Record<string, unknown>,
  bus?: Bus,
  /** null: no key. */
  secrets: SecretBox | null = box,
) {
  const api = createQueryApi(warehouse, { queryTimeout: 2000 }, bus, secrets ?? undefined);
  const response = await api.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    text,
    ...(JSON.parse(text) as {
      data?: Record<string, unknown>;
      errors?: { message: string; extensions?: { code?: string } }[];
    }),
  };
}

const FIELDS = 'name source enabled url severities concurrency timeout secretSet version updatedBy';
const CREATE = `mutation($name: String!, $receiver: AlarmReceiverInput!, $secret: Secret!) {
  createAlarmReceiver(name: $name, receiver: $receiver, secret: $secret, author: "ops") { ${FIELDS} } }`;

describe('GraphQL alarm receivers, through the engine that stores them', () => {
  it('creates, lists, disables and deletes a receiver; no answer holds a secret', async () => {
    const warehouse = receiversWarehouse();
    const { bus, sent } = busToEngine(warehouse);
    await new StoredReceivers(warehouse, box).syncConfig([
      checkedReceiver({ name: 'configured', url: 'http://127.0.0.1:1/', secret: CONFIG_SECRET }),
    ]);
    const answers: string[] = [];
    const asked = async (query: string, variables: Record<string, unknown> = {}) => {
      const answer = await ask(warehouse, query, variables, bus);
      answers.push(answer.text);
      return answer;
    };

    const created = await asked(CREATE, {
      name: 'ops',
      receiver: { url: 'https://ops.example/hook', severities: ['MAJOR'], timeout: '2s' },
      secret: SECRET,
    });
    assert.deepEqual(created.data, {
      createAlarmReceiver: {
        ...{ name: 'ops', source: 'API', enabled: true, url: 'https://ops.example/hook' },
        ...{
          severities: ['MAJOR'],
          concurrency: 4,
          timeout: '2s',
          secretSet: true,
          version: 1,
          updatedBy: 'ops',
        },
      },
    });
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.key, /^receiver:ops$/, 'the key names the receiver, never its secret');
    const command = readAlarmCommand(sent[0]!);
    assert.ok(command.kind === 'receiver');
    assert.equal(box.open(command.secret), SECRET, 'the command carries the secret sealed');
    assert.doesNotMatch(sent[0]!.value.toString('latin1'), new RegExp(SECRET));
    assert.deepEqual(
      warehouse.versions.map((v) => [v.name, box.open(v.secret)]),
      [
        ['configured', CONFIG_SECRET],
        ['ops', SECRET],
      ],
      'the warehouse holds each secret sealed',
    );

    const disabled = await asked(
      'mutation { disableAlarmReceiver(name: "configured") { name source enabled version } }',
    );
    assert.deepEqual(disabled.data, {
      disableAlarmReceiver: { name: 'configured', source: 'CONFIG', enabled: false, version: 2 },
    });
    const listed = await asked(`{ alarmReceivers { ${FIELDS} } }`);
    assert.deepEqual(
      (listed.data?.alarmReceivers as { name: string; enabled: boolean }[]).map((r) => [r.name, r.enabled]),
      [
        ['configured', false],
        ['ops', true],
      ],
    );
    const refused = await asked('mutation { deleteAlarmReceiver(name: "configured") }');
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(refused.errors?.[0]?.message ?? '', /defined by --alarm-webhooks/);
    assert.deepEqual((await asked('mutation { deleteAlarmReceiver(name: "ops") }')).data, {
      deleteAlarmReceiver: true,
    });
    const [after] = (await asked('{ alarmReceivers { name } }')).data?.alarmReceivers as { name: string }[];
    assert.equal(after?.name, 'configured');

    for (const text of answers) assert.doesNotMatch(text, new RegExp(`${SECRET}|${CONFIG_SECRET}`));
  });

  it('refuses a bad receiver naming each field, and no error quotes the secret, whatever was wrong', async () => {
    const warehouse = receiversWarehouse();
    const { bus } = busToEngine(warehouse);
    const refusal = async (variables: Record<string, unknown>, why: RegExp) => {
      const answer = await ask(warehouse, CREATE, { name: 'ops', ...variables }, bus);
      assert.ok(answer.errors?.length, `refused: ${JSON.stringify(variables.receiver)}`);
      assert.match(answer.errors[0]!.message, why);
      assert.doesNotMatch(answer.text, new RegExp(SECRET));
      assert.doesNotMatch(answer.text, /98765432109876/);
    };
    await refusal(
      { receiver: { url: 'ftp://x', concurrency: 0, timeout: 'soon' }, secret: 'short' },
      /alarm receiver refused: url: .*; secret: at least 16 characters; concurrency: .*; timeout: not a duration/,
    );
    // Refused by GraphQL itself, before the API: graphql-js quotes the input object it refuses.
    await refusal({ receiver: { url: 'https://x/', colour: 'red' }, secret: SECRET }, /colour/);
    await refusal({ receiver: { url: 'https://x/', severities: ['LOUD'] }, secret: SECRET }, /LOUD/);
    await refusal({ receiver: { url: 'https://x/' }, secret: 98765432109876 }, /secret: a string/);
    await refusal({ receiver: { url: 'https://x/' }, secret: { value: SECRET } }, /secret: a string/);
    assert.deepEqual(warehouse.versions, []);
  });

  it('checks a change even where no engine is reachable, and then tells it is UNAVAILABLE', async () => {
    const warehouse = receiversWarehouse();
    const bad = await ask(warehouse, CREATE, {
      name: 'a b',
      receiver: { url: 'https://x/' },
      secret: SECRET,
    });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors?.[0]?.message ?? '', /name: a name of letters/);
    const good = await ask(warehouse, CREATE, {
      name: 'ops',
      receiver: { url: 'https://x/' },
      secret: SECRET,
    });
    assert.equal(good.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
    const missing = await ask(warehouse, 'mutation { testAlarmReceiver(name: "nope") { delivered } }', {});
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });
  it('refuses a secret where there is no key to seal it with, naming the option', async () => {
    const warehouse = receiversWarehouse();
    const { bus, sent } = busToEngine(warehouse);
    const refused = await ask(
      warehouse,
      CREATE,
      { name: 'ops', receiver: { url: 'https://x/' }, secret: SECRET },
      bus,
      null,
    );
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(
      refused.errors?.[0]?.message ?? '',
      /alarm receiver ops: .*--secrets-key \/ FABRICSCOPE_SECRETS_KEY/,
    );
    assert.doesNotMatch(refused.text, new RegExp(SECRET));
    assert.deepEqual([sent, warehouse.versions], [[], []], 'nothing sent nor stored');
  });

  it('the engine refuses a change whose secret is not sealed, and stores nothing', async () => {
    const warehouse = receiversWarehouse();
    const outcome = await new StoredReceivers(warehouse, box).apply({
      ...{ operation: 'create', name: 'ops', receiver: '{"url":"https://x/"}', secret: SECRET },
      ...{ expectedVersion: 0, author: '' },
    });
    assert.equal(outcome, 'refused');
    assert.deepEqual(warehouse.versions, []);
  });

  it('a secret that does not open fails the test delivery naming the receiver, and the engine leaves it out', async () => {
    const warehouse = receiversWarehouse();
    const { bus } = busToEngine(warehouse);
    await ask(
      warehouse,
      CREATE,
      { name: 'ops', receiver: { url: 'http://127.0.0.1:1/' }, secret: SECRET },
      bus,
    );
    const otherKey = new SecretBox(Buffer.alloc(32, 4));
    const test = 'mutation { testAlarmReceiver(name: "ops") { delivered } }';
    const wrong = await ask(warehouse, test, {}, bus, otherKey);
    assert.equal(wrong.errors?.[0]?.extensions?.code, 'FAILED_PRECONDITION');
    assert.match(
      wrong.errors?.[0]?.message ?? '',
      /^alarm receiver ops: its secret does not open: sealed under another key/,
    );
    const none = await ask(warehouse, test, {}, bus, null);
    assert.match(
      none.errors?.[0]?.message ?? '',
      /^alarm receiver ops: its secret is sealed and this process has no --secrets-key/,
    );
    const loaded = await new StoredReceivers(warehouse, otherKey).load();
    assert.deepEqual(loaded, { enabled: [], refused: [] }, 'left out, neither sent to nor given up');
    assert.deepEqual(
      (await new StoredReceivers(warehouse, box).load()).enabled.map((r) => [r.name, r.secret]),
      [['ops', SECRET]],
      'opened under its key',
    );
  });
});
