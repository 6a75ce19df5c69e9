import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignatureError, signatureHeader, verifySignature } from '../../../../alarms/notify/index.js';

const secret = 'a-receiver-secret-of-some-length';
const body = '{"event":"raised"}';
const now = 1_800_000_000;

describe('webhook signatures', () => {
  it('verifies what was signed, returning the signed timestamp', () => {
    assert.equal(verifySignature(secret, signatureHeader(secret, body, now), body, { now }), now);
  });

  it('refuses a changed body, another secret, a missing or malformed header', () => {
    const header = signatureHeader(secret, body, now);
    const refused = (s: string, h: string | undefined, b: string, why: RegExp) =>
      assert.throws(
        () => verifySignature(s, h, b, { now }),
        (err: Error) => {
          assert.ok(err instanceof SignatureError);
          assert.match(err.message, why);
          return true;
        },
      );
    refused(secret, header, '{"event":"cleared"}', /does not match/);
    refused('another-secret-of-some-length', header, body, /does not match/);
    refused(secret, undefined, body, /no x-fabricscope-signature/);
    refused(secret, 'v1=abc', body, /malformed/);
    refused(secret, header.replace(/v1=.*/, 'v1=00'), body, /does not match/);
  });

  it('refuses a timestamp outside the replay window, either side, and the window is the receiver’s', () => {
    const old = signatureHeader(secret, body, now - 301);
    assert.throws(() => verifySignature(secret, old, body, { now }), /a replay/);
    const ahead = signatureHeader(secret, body, now + 301);
    assert.throws(() => verifySignature(secret, ahead, body, { now }), /a replay/);
    assert.equal(verifySignature(secret, old, body, { now, toleranceS: 600 }), now - 301);
  });

  it('signs the timestamp: a header moved to another time does not verify', () => {
    const header = signatureHeader(secret, body, now - 1000).replace(`t=${now - 1000}`, `t=${now}`);
    assert.throws(() => verifySignature(secret, header, body, { now }), /does not match/);
  });
});
