import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runTool } from '../../../harness/child-processes.js';
import { graphqlEndpoint } from '../../../bin/graphql-client.js';

const cli = fileURLToPath(new URL('../../../bin/fabricscope.cjs', import.meta.url));

/** A loopback port nothing listens on: one the system handed out, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The command's exit and stderr when it fails (runTool rejects on a non-zero exit). */
async function failure(args: string[]): Promise<string> {
  const err = await runTool(process.execPath, [cli, ...args], { timeoutMs: 30_000 }).then(
    () => assert.fail('the command succeeded'),
    (e: Error) => e,
  );
  return err.message;
}

describe('fabricscope why', () => {
  it('fails with exit 1 naming the server when nothing answers there', async () => {
    const port = await closedPort();
    const message = await failure([
      'why',
      'seamless/cont',
      'admin/vm',
      '--server',
      `http://127.0.0.1:${port}`,
    ]);
    assert.match(message, /: exit 1\n/);
    assert.match(
      message,
      new RegExp(`cannot reach the GraphQL API at http://127\\.0\\.0\\.1:${port}/graphql: ECONNREFUSED`),
    );
  });

  it('refuses a server that is not an http URL', async () => {
    const message = await failure(['why', 'a', 'b', '--server', 'ftp://example.org']);
    assert.match(message, /--server: "ftp:\/\/example\.org" is not an http\(s\) URL/);
  });

  it('takes a base URL, a host:port or the endpoint itself', () => {
    assert.equal(graphqlEndpoint('http://localhost:8081').href, 'http://localhost:8081/graphql');
    assert.equal(graphqlEndpoint('localhost:8081').href, 'http://localhost:8081/graphql');
    assert.equal(graphqlEndpoint('https://fs.example/graphql').href, 'https://fs.example/graphql');
  });
});
