import { execFile, type ChildProcess, type ExecFileException } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Runs a command to its end and returns its output. Rejects when it cannot start (ENOENT), exits
 * non-zero, or outlives timeoutMs (killed first); the message ends with the tail of its output.
 */
export async function runTool(
  command: string,
  args: string[],
  options: { timeoutMs: number; input?: string },
): Promise<{ stdout: string; stderr: string }> {
  const running = execFileAsync(command, args, {
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  // Closing stdin also stops a tool that would wait for input; a tool that never started or exits
  // without reading it makes the write fail with EPIPE, which the exit status already reports.
  running.child.stdin?.on('error', () => undefined).end(options.input);
  try {
    return await running;
  } catch (err) {
    const { killed, code, message, stdout = '', stderr = '' } = err as ExecFileException;
    const why = killed
      ? `killed after ${options.timeoutMs} ms`
      : typeof code === 'number'
        ? `exit ${code}`
        : message;
    const output = `${stdout}${stderr}`.slice(-4000);
    throw new Error(`${command} ${args.join(' ')}: ${why}${output && `\n${output}`}`, { cause: err });
  }
}

/** Long-running children of this test process that have not exited yet. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
// node --test ends a file that outlives --test-timeout with SIGTERM, whose default action skips 'exit'
// handlers: exit instead (143 = 128 + SIGTERM), so the children above go with it.
process.once('SIGTERM', () => process.exit(143));

/**
 * Kills the child when this test process exits, whatever the path (tests done, a crash, the runner's
 * SIGTERM after --test-timeout): a server a failed test forgot is not left to run on (kill -9 of this
 * process aside). Returns the child.
 */
export function killedOnExit(child: ChildProcess): ChildProcess {
  running.add(child);
  // 'close' also follows a spawn error, when 'exit' never comes.
  child.once('close', () => running.delete(child));
  return child;
}

const hasExited = (child: ChildProcess): boolean =>
  child.pid === undefined || child.exitCode !== null || child.signalCode !== null;

/**
 * Sends `signal` and waits for the exit. A child still running graceMs later is killed with SIGKILL
 * and the stop rejects: a server that ignores SIGTERM is a bug the test should show, not wait on.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  let overdue = false;
  const timer = setTimeout(() => {
    overdue = signal !== 'SIGKILL';
    child.kill('SIGKILL');
  }, graceMs);
  child.kill(signal);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
  if (overdue) throw new Error(`pid ${child.pid} did not exit within ${graceMs} ms of ${signal}: killed`);
}

/**
 * Runs every clean-up step in order, also those after a failed one (a pipeline that would not stop
 * must not leave the broker behind it running), then throws what failed.
 */
export async function cleanUp(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} clean-up steps failed`);
}

/**
 * Until the server `child` runs answers GET `url` (its /-/ready) with 2xx; one that cannot start,
 * exits or stays silent `timeoutMs` rejects, naming `name`.
 */
export async function untilReady(
  child: ChildProcess,
  name: string,
  url: string,
  timeoutMs = 30_000,
): Promise<void> {
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run ${name}: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const up = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s`);
}
