import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killedOnExit, stopChild } from './child-processes.js';

const cli = fileURLToPath(new URL('../bin/fabricscope.cjs', import.meta.url));

export interface PipelineProcess {
  grpcTarget: string;
  graphqlUrl: string;
  httpUrl: string;
  child: ChildProcess;
  /** SIGTERM and wait (SIGKILL after a grace period, and reject), or SIGKILL (a crash) and wait. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Everything it wrote on stdout (its log) so far, when started with `keepOutput`; else ''. */
  output(): string;
}

export interface StartOptions {
  /** Services to run (default: all, embedded). */
  services?: string[];
  /** More flags, e.g. ['--kafka-brokers', '127.0.0.1:9092']. */
  args?: string[];
  /** Keep its whole stdout (its log) for `output()`, e.g. to check what it logged. */
  keepOutput?: boolean;
}

/**
 * Runs `fabricscope start` as a real process on free loopback ports and waits until it is ready.
 * A pipeline that exits, cannot start or is not ready within 60 s rejects, and is not left running.
 */
export async function startPipelineProcess(
  dataDir: string,
  options: StartOptions = {},
): Promise<PipelineProcess> {
  const args = [cli, 'start', ...(options.services ?? []), '--data-dir', dataDir, '--grpc-host', '127.0.0.1'];
  args.push('--grpc-port', '0', '--http-host', '127.0.0.1', '--http-port', '0', '--log-level', 'warn');
  args.push(...(options.args ?? []));
  const child = killedOnExit(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
  const kept: Buffer[] = [];
  if (options.keepOutput) child.stdout!.on('data', (chunk: Buffer) => kept.push(chunk));
  try {
    const ready = await waitForReady(child);
    const output = () => Buffer.concat(kept).toString('utf8');
    return { ...ready, child, stop: (signal) => stopChild(child, signal), output };
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    throw err;
  }
}

function waitForReady(child: ChildProcess): Promise<Omit<PipelineProcess, 'child' | 'stop' | 'output'>> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.stdout!.removeListener('data', onData);
      reject(new Error(`pipeline ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail('not ready after 60 s'), 60_000);
    child.once('error', (err) => fail(`could not start: ${err.message}`));
    child.once('exit', (code, signal) => fail(`exited with ${code ?? signal}`));
    function onData(chunk: Buffer): void {
      output += chunk.toString();
      const match = /ready \([^)]*\): gRPC (\S+), GraphQL (\S+), metrics (http:\/\/\S+)\/metrics/.exec(
        output,
      );
      if (!match) return;
      clearTimeout(timer);
      // Later output is drained unread, so the child never blocks on a full pipe.
      child.stdout!.removeListener('data', onData).resume();
      resolve({ grpcTarget: match[1]!, graphqlUrl: match[2]!, httpUrl: match[3]! });
    }
    child.stdout!.on('data', onData);
  });
}

/** POSTs a GraphQL query and returns `data`, failing on any GraphQL error. */
export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const body = await graphqlRaw(url, query, variables);
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

export async function graphqlRaw(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
}
