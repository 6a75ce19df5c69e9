import { setTimeout as sleep } from 'node:timers/promises';

export type Testcontainers = typeof import('testcontainers');

export const firstLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * testcontainers, when it loads and a container runtime answers within a few seconds; otherwise says
 * so on stderr (`what` needed it, `instead` is what happens now) and returns undefined.
 */
export async function containerRuntime(what: string, instead: string): Promise<Testcontainers | undefined> {
  try {
    const tc = await import('testcontainers');
    const timeout = sleep(5000).then(() => {
      throw new Error('no answer within 5 s');
    });
    await Promise.race([tc.getContainerRuntimeClient(), timeout]);
    return tc;
  } catch (err) {
    process.stderr.write(
      `test/infra: no container runtime for ${what} (testcontainers: ${firstLine(err)}); ${instead}\n`,
    );
    return undefined;
  }
}
