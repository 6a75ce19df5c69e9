import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The dependency-rule messages `npm run lint` gives for one import written in a file at `path`. */
async function importProblems(path: string, from: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import * as m from '${from}';\nexport default m;\n`, {
    filePath: `${root}${path}`,
  });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layout rules are enforced by npm run lint', () => {
  it('refuses a service importing another service', async () => {
    const [problem] = await importProblems('collector/probe.ts', '../writer/batch-writer.js');
    assert.match(problem ?? 'no problem reported', /collector\/ depends on common\/ and proto\/ only/);
    assert.equal((await importProblems('query/flows/probe.ts', '../../collector/index.js')).length, 1);
  });

  it('refuses common/ importing a service', async () => {
    assert.equal((await importProblems('common/schema/probe.ts', '../../query/index.js')).length, 1);
  });

  it('lets bin/ reach a service through its index.ts, and only there', async () => {
    assert.deepEqual(await importProblems('bin/probe.ts', '../collector/index.js'), []);
    assert.equal((await importProblems('bin/probe.ts', '../collector/server.js')).length, 1);
  });

  it("tells a service's own subfolder from the service it is named like", async () => {
    assert.deepEqual(await importProblems('query/probe.ts', './alarms/resolvers.js'), []);
    assert.equal((await importProblems('query/probe.ts', '../alarms/index.js')).length, 1);
    assert.equal((await importProblems('query/alarms/probe.ts', '../../alarms/engine.js')).length, 1);
  });

  it('lets a service use common/', async () => {
    assert.deepEqual(await importProblems('writer/probe.ts', '../common/bus/envelope.js'), []);
  });
});
