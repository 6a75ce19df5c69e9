import { setTimeout as sleep } from 'node:timers/promises';
import { FabricError } from '../../common/errors.js';

/** A version of a rule or receiver as stored, with its name. */
interface StoredVersion {
  name: string;
  version: number;
}

/**
 * Waits up to `waitMs` for the alarm engine to store the version the API planned and sent it (rule
 * and receiver changes reach the warehouse only through the engine). Another content stored under
 * that version is a change made meanwhile: the caller read a stale version.
 */
export async function storedByEngine<V extends StoredVersion>(
  what: 'rule' | 'receiver',
  name: string,
  planned: V,
  read: () => Promise<V[]>,
  same: (stored: V) => boolean,
  waitMs: number,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const versions = (await read()).filter((v) => v.name === name);
    const stored = versions.find((v) => v.version === planned.version);
    if (stored) {
      if (same(stored)) return;
      const newest = Math.max(...versions.map((v) => v.version));
      throw new FabricError(
        'FAILED_PRECONDITION',
        `alarm ${what} ${name} was changed meanwhile: it is at version ${newest}; read it again and change it from version ${newest}`,
      );
    }
    if (Date.now() >= deadline) {
      throw new FabricError('UNAVAILABLE', `the alarm engine has not stored the ${what} within ${waitMs} ms`);
    }
    await sleep(100);
  }
}
