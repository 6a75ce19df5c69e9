import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { it } from 'node:test';

/**
 * The suite's last file (node --test runs files one at a time in path order, and "zz-" sorts after
 * every test folder): each process a test file started had to end with that file.
 *
 * npm test marks the run with FABRICSCOPE_TEST_RUN in the test runner's environment, which every
 * process the tests start inherits, also once orphaned and reparented out of the runner's process
 * tree. So any marked process alive now, apart from this file and the processes running it, was left
 * behind. Another checkout's run (other marker) or a server started by hand (no marker) does not count.
 */
const marker = process.env.FABRICSCOPE_TEST_RUN;

/** The process's NUL-separated /proc file, or [] when it is gone, a zombie or not ours to read. */
function procEntries(pid: string, file: 'environ' | 'cmdline'): string[] {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** This process and its ancestors: they carry the marker, and are still running of course. */
function runningUs(): Set<string> {
  const chain = new Set<string>();
  for (let pid = String(process.pid); pid !== '0' && !chain.has(pid);) {
    chain.add(pid);
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    pid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '0';
  }
  return chain;
}

it('leaves no process behind: every one a test started has ended', (t) => {
  if (!marker) return t.skip('FABRICSCOPE_TEST_RUN is not set: run the suite with npm test, which marks it');
  const us = runningUs();
  const leftovers = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && !us.has(pid))
    .filter((pid) => procEntries(pid, 'environ').includes(`FABRICSCOPE_TEST_RUN=${marker}`))
    .map((pid) => `pid ${pid}: ${procEntries(pid, 'cmdline').join(' ')}`);
  assert.deepEqual(leftovers, [], 'still running after the test file that started them ended');
});
