import { setTimeout as sleep } from 'node:timers/promises';

export type Testcontainers = typeof import('testcontainers');

export const firstLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** testcontainers, or why not; asked once per test process, as a test file may ask more than once. */
let probe: Promise<Testcontainers | Error> | undefined;

async function probeRuntime(): Promise<Testcontainers | Error> {
  try {
    const tc = await import('testcontainers');
    const timeout = sleep(5000).then(() => {
      throw new Error('no answer within 5 s');
    });
    await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    return tc;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** What has been said on stderr already, so a file asking twice prints it once. */
const told = new Set<string>();

/**
 * testcontainers, when it loads and a container runtime answers within a few seconds; otherwise says
 * so on stderr (`what` needed it, `instead` is what happens now) and returns undefined.
 */
export async function containerRuntime(what: string, instead: string): Promise<Testcontainers | undefined> {
  const tc = await (probe ??= probeRuntime());
  if (!(tc instanceof Error)) return tc;
  const message = `harness: no container runtime for ${what} (testcontainers: ${firstLine(tc)}); ${instead}\n`;
  if (!told.has(message)) process.stderr.write(message);
  told.add(message);
  return undefined;
}
