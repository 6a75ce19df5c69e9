import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, printableConfig, sharedOptions } from '../../../../common/config.js';
import { isSealed, parseSecretsKey, SecretBox, SecretError } from '../../../../common/notify/secret-box.js';
import { keyFile, secretBoxFor, SECRETS_KEY_FILE } from '../../../../common/notify/secrets-key.js';

const SECRET = 'a-receiver-secret-of-some-length';
const key = randomBytes(32);

describe('secret box', () => {
  const box = new SecretBox(key);

  it('opens what it sealed; sealing twice gives two texts, neither holding the secret', () => {
    const [one, two] = [box.seal(SECRET), box.seal(SECRET)];
    assert.notEqual(one, two, 'a fresh nonce each time');
    for (const sealed of [one, two]) {
      assert.match(sealed, /^v1:[A-Za-z0-9+/]+=*$/);
      assert.ok(isSealed(sealed));
      assert.doesNotMatch(sealed, new RegExp(SECRET));
      assert.equal(box.open(sealed), SECRET);
    }
    assert.equal(box.open(box.seal('é€ unicode')), 'é€ unicode');
    assert.equal(new SecretBox(Buffer.from(key)).open(one), SECRET, 'another box of the same key');
  });

  it('refuses another key, an altered text, another format; the error never holds the text', () => {
    const sealed = box.seal(SECRET);
    const refusal = (text: string, opener: SecretBox, why: RegExp) =>
      assert.throws(
        () => opener.open(text),
        (err: Error) => err instanceof SecretError && why.test(err.message) && !err.message.includes(text),
      );
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    const flipped = (at: number) => {
      const copy = Buffer.from(bytes);
      copy[at] = copy[at]! ^ 1;
      return `v1:${copy.toString('base64')}`;
    };
    refusal(sealed, new SecretBox(randomBytes(32)), /does not open: sealed under another key, or altered/);
    for (const at of [0, 12, bytes.length - 1]) refusal(flipped(at), box, /does not open/); // nonce, text, tag
    refusal(`v2:${sealed.slice(3)}`, box, /sealed in format v2, which this version does not read/);
    refusal(SECRET, box, /is not sealed \(v1:…\)/);
    refusal('v1:c2hvcnQ=', box, /is not sealed/);
    assert.equal(isSealed(SECRET), false);
  });

  it('reads a key as 64 hex digits or 44 characters of base64, and nothing else', () => {
    assert.deepEqual(parseSecretsKey(key.toString('hex')), key);
    assert.deepEqual(parseSecretsKey(`${key.toString('base64')}\n`), key);
    const text = randomBytes(31).toString('base64');
    for (const bad of ['', 'short', text, key.toString('hex').slice(1), `${key.toString('base64')}AA`]) {
      assert.throws(
        () => parseSecretsKey(bad),
        (err: Error) =>
          /not a key of 32 bytes/.test(err.message) && (bad === '' || !err.message.includes(bad)),
      );
    }
    assert.throws(() => new SecretBox(randomBytes(16)), /32 bytes, not 16/);
  });

  it('takes --secrets-key from the configuration, withheld when printed, refused without quoting it', () => {
    const config = loadConfig(sharedOptions, {}, { FABRICSCOPE_SECRETS_KEY: key.toString('base64') }, '');
    assert.deepEqual(config.secretsKey, key);
    assert.equal(printableConfig(sharedOptions, config).secretsKey, '(withheld)');
    assert.equal(loadConfig(sharedOptions, {}, {}, '').secretsKey, undefined);
    const bad = 'not-the-key-but-close-to-it';
    assert.throws(
      () => loadConfig(sharedOptions, { secretsKey: bad }, {}, ''),
      (err: Error) =>
        /--secrets-key \/ FABRICSCOPE_SECRETS_KEY = \(withheld\): not a key of 32 bytes/.test(err.message) &&
        !err.message.includes(bad),
    );
  });
});

describe('secrets key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-secrets-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated at first start, mode 0600, and read at the next', () => {
    const dataDir = join(dir, 'data');
    const first = keyFile(dataDir);
    const path = join(dataDir, SECRETS_KEY_FILE);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(parseSecretsKey(readFileSync(path, 'utf8')), first);
    assert.deepEqual(keyFile(dataDir), first, 'the same key again');
    const sealed = new SecretBox(first).seal(SECRET);
    const box = secretBoxFor({ secretsKey: undefined, dataDir, clickhouseUrl: '' });
    assert.equal(box?.open(sealed), SECRET, 'an embedded start opens what the last one sealed');
  });

  it('the option wins over the file; a ClickHouse server without the option has no key', () => {
    const dataDir = join(dir, 'given');
    const box = secretBoxFor({ secretsKey: key, dataDir, clickhouseUrl: '' });
    assert.equal(new SecretBox(key).open(box!.seal(SECRET)), SECRET);
    assert.equal(
      secretBoxFor({ secretsKey: undefined, dataDir, clickhouseUrl: 'http://ch:8123' }),
      undefined,
    );
    assert.throws(() => statSync(join(dataDir, SECRETS_KEY_FILE)), /ENOENT/, 'no file made for either');
  });

  it('refuses a file that holds no key, naming the file', () => {
    const dataDir = join(dir, 'bad');
    keyFile(dataDir);
    writeFileSync(join(dataDir, SECRETS_KEY_FILE), 'garbage\n');
    assert.throws(
      () => keyFile(dataDir),
      (err: Error) =>
        err.message.includes(join(dataDir, SECRETS_KEY_FILE)) && /not a key of 32 bytes/.test(err.message),
    );
  });
});
