import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { it, type TestContext } from 'node:test';

/** An executable some tests run, and the Debian package that installs it. */
export interface SystemTool {
  /** A name looked up on PATH, or an absolute path. */
  command: string;
  debianPackage: string;
}

/** Every system tool the suite uses; .ci/run installs the same packages. */
export const tools = {
  kcat: { command: 'kcat', debianPackage: 'kcat' },
  promtool: { command: 'promtool', debianPackage: 'prometheus' },
  prometheus: { command: 'prometheus', debianPackage: 'prometheus' },
  amtool: { command: 'amtool', debianPackage: 'prometheus-alertmanager' },
  openssl: { command: 'openssl', debianPackage: 'openssl' },
  // Runs the README's curl examples as they are written.
  curl: { command: 'curl', debianPackage: 'curl' },
  // Debian names the server binary after its package.
  alertmanager: { command: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' },
  // Debian installs the server binary outside a normal user's PATH.
  clickhouseServer: { command: '/usr/sbin/clickhouse-server', debianPackage: 'clickhouse-server' },
  dockerCompose: { command: 'docker-compose', debianPackage: 'docker-compose' },
  java: { command: 'java', debianPackage: 'openjdk-17-jre-headless' },
  mvn: { command: 'mvn', debianPackage: 'maven' },
  // Builds the clickhouse-go client of the ClickHouse HTTP endpoint's test (test/go/).
  go: { command: 'go', debianPackage: 'golang-go' },
} as const satisfies Record<string, SystemTool>;

/**
 * CI sets FABRICSCOPE_REQUIRE_TOOLS=1: there a missing tool is a broken machine, so the tests that
 * need it fail instead of being skipped (a green run then means every test ran).
 */
const toolsRequired = (): boolean => process.env.FABRICSCOPE_REQUIRE_TOOLS === '1';

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Whether the command can be run: PATH is searched as spawn would, so a PATH without it hides it. */
export function hasTool(command: string): boolean {
  if (isAbsolute(command)) return isExecutable(command);
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.some((dir) => isExecutable(join(dir, command)));
}

/** The missing ones, and "promtool not found: apt-get install prometheus"; undefined if none is. */
function missingTools(needed: readonly SystemTool[]): { commands: string; reason: string } | undefined {
  const missing = needed.filter((tool) => !hasTool(tool.command));
  if (missing.length === 0) return undefined;
  const commands = missing.map((tool) => tool.command).join(', ');
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))].join(' ');
  return { commands, reason: `${commands} not found: apt-get install ${packages}` };
}

const failure = (reason: string): Error => new Error(`${reason} (FABRICSCOPE_REQUIRE_TOOLS=1)`);

/**
 * For one test: true when every tool is there. Otherwise skips the test with the reason and returns
 * false (the caller returns), or under FABRICSCOPE_REQUIRE_TOOLS=1 throws, failing the test.
 */
export function needTools(t: TestContext, ...needed: SystemTool[]): boolean {
  const missing = missingTools(needed);
  if (!missing) return true;
  if (toolsRequired()) throw failure(missing.reason);
  t.skip(missing.reason);
  return false;
}

/**
 * Options for a describe whose every test needs the tools: skipped with the reason when one is missing.
 * Under FABRICSCOPE_REQUIRE_TOOLS=1 the suite is still skipped (its hooks would only fail on the missing
 * tool), and a test of its own fails with the reason, so the run counts a failure. Call it once per
 * file and share the options between describes that need the same tools.
 */
export function suiteNeeds(...needed: SystemTool[]): { skip?: string } {
  const missing = missingTools(needed);
  if (!missing) return {};
  if (toolsRequired()) {
    it(`${missing.commands} installed`, () => {
      throw failure(missing.reason);
    });
  }
  return { skip: missing.reason };
}
