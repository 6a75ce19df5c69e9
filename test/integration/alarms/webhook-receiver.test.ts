import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from '../../../alarms/notify/index.js';
import { killedOnExit, stopChild } from '../../../harness/child-processes.js';

const cli = fileURLToPath(new URL('../../../bin/fabricscope.cjs', import.meta.url));
const secret = 'a-receiver-secret-of-some-length';
const body = JSON.stringify({ id: 'k1', event: 'raised', alarm: { type: 'x' } });

/** `fabricscope webhook-receiver`, the example receiver, as a real process. */
describe('fabricscope webhook-receiver', () => {
  const child = killedOnExit(
    spawn(process.execPath, [cli, 'webhook-receiver', '--port', '0'], {
      env: { ...process.env, FABRICSCOPE_WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const stdout = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const stderr = createInterface({ input: child.stderr! })[Symbol.asyncIterator]();
  let url: string;
  const send = (headers: Record<string, string>, text = body) =>
    fetch(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers } });
  const signed = (timestamp = Math.floor(Date.now() / 1000), text = body) => ({
    [SIGNATURE_HEADER]: signatureHeader(secret, text, timestamp),
    [IDEMPOTENCY_HEADER]: 'k1',
  });

  before(async () => {
    const line = (await stderr.next()).value as string;
    url = /listening on (http:\S+)/.exec(line)?.[1] ?? assert.fail(`no address in: ${line}`);
  });
  after(() => stopChild(child));

  it('prints a verified notification as a JSON line, and its repeat marked a duplicate', async () => {
    assert.equal((await send(signed())).status, 204);
    const first = JSON.parse((await stdout.next()).value as string);
    assert.deepEqual([first.idempotencyKey, first.duplicate, first.event], ['k1', false, JSON.parse(body)]);
    assert.equal((await send(signed())).status, 204);
    assert.equal(JSON.parse((await stdout.next()).value as string).duplicate, true);
  });

  it('refuses, naming why, a forged body, a wrong secret, a replay, an unsigned request', async () => {
    const refusals: [Record<string, string>, string, RegExp][] = [
      [signed(), body.replace('raised', 'cleared'), /does not match/],
      [
        { [SIGNATURE_HEADER]: signatureHeader('not-the-secret-at-all', body, Math.floor(Date.now() / 1000)) },
        body,
        /does not match/,
      ],
      [signed(Math.floor(Date.now() / 1000) - 600), body, /a replay/],
      [{}, body, /no x-fabricscope-signature/],
    ];
    for (const [headers, text, why] of refusals) {
      const answer = await send(headers, text);
      assert.equal(answer.status, 401);
      assert.match(await answer.text(), why);
      assert.match((await stderr.next()).value as string, why);
    }
  });

  it('stops on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});
