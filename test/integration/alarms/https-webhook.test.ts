import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webhookChannel } from '../../../alarms/notify/channels.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verifySignature } from '../../../alarms/notify/index.js';
import { webhookReceivers } from '../../../alarms/notify/receivers.js';
import { runTool } from '../../../harness/child-processes.js';
import { suiteNeeds, tools } from '../../../harness/system-tools.js';

const secret = 'a-receiver-secret-of-some-length';
const body = '{"id":"k1","event":"raised"}';

/** A webhook over TLS: an https receiver whose certificate a CA file given with `ca` vouches for. */
describe('https webhook receivers', suiteNeeds(tools.openssl), () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-https-hook-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  let server: Server;
  let url: string;
  const verified: string[] = [];

  before(async () => {
    await runTool(
      tools.openssl.command,
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { timeoutMs: 30_000 },
    );
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        verifySignature(secret, req.headers[SIGNATURE_HEADER] as string, text);
        verified.push(`${String(req.headers[IDEMPOTENCY_HEADER])} ${text}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const channel = (extra: object) =>
    webhookChannel(webhookReceivers.parse([{ name: 'tls', url, secret, ...extra }])[0]!);
  const delivery = { id: 'k1', receiver: 'tls', created: Date.now(), body };

  it('delivers, signed, to a receiver whose certificate the configured CA signed', async () => {
    await channel({ ca: cert }).send(delivery, new AbortController().signal);
    assert.deepEqual(verified, [`k1 ${body}`]);
  });

  it('refuses a certificate no CA vouches for, naming the receiver and why', async () => {
    await assert.rejects(
      channel({}).send(delivery, new AbortController().signal),
      /https:\/\/127\.0\.0\.1:\d+: self.signed certificate/,
    );
  });

  it('names a CA file that cannot be read', () => {
    assert.throws(() => channel({ ca: join(dir, 'missing.pem') }), /webhook tls: ca .*missing\.pem: ENOENT/);
  });
});
