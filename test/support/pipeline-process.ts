import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../bin/fabricscope.js', import.meta.url));

export interface PipelineProcess {
  grpcTarget: string;
  graphqlUrl: string;
  httpUrl: string;
  child: ChildProcess;
  /** SIGTERM and wait, or SIGKILL (a crash) and wait. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Services to run (default: all, embedded). */
  services?: string[];
  /** More flags, e.g. ['--kafka-brokers', '127.0.0.1:9092']. */
  args?: string[];
}

/** Runs `fabricscope start` as a real process on free loopback ports and waits until it is ready. */
export async function startPipelineProcess(
  dataDir: string,
  options: StartOptions = {},
): Promise<PipelineProcess> {
  const args = [cli, 'start', ...(options.services ?? []), '--data-dir', dataDir, '--grpc-host', '127.0.0.1'];
  args.push('--grpc-port', '0', '--http-host', '127.0.0.1', '--http-port', '0', '--log-level', 'warn');
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await waitForReady(child);
  return {
    ...ready,
    child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

function waitForReady(child: ChildProcess): Promise<Omit<PipelineProcess, 'child' | 'stop'>> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`pipeline not ready after 60 s:\n${output}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`pipeline exited with ${code}:\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready \([^)]*\): gRPC (\S+), GraphQL (\S+), metrics (http:\/\/\S+)\/metrics/.exec(
        output,
      );
      if (!match) return;
      clearTimeout(timer);
      resolve({ grpcTarget: match[1]!, graphqlUrl: match[2]!, httpUrl: match[3]! });
    });
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
