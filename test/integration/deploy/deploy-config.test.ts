import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTool } from '../../../harness/child-processes.js';
import { startPipelineProcess } from '../../../harness/pipeline-process.js';
import { hasTool, needTools, tools } from '../../../harness/system-tools.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const timeoutMs = 30_000;

/** `docker compose` stands in for docker-compose where Docker ships the plugin. */
async function composeClient(): Promise<string[] | undefined> {
  if (hasTool(tools.dockerCompose.command)) return [tools.dockerCompose.command];
  if (!hasTool('docker')) return undefined;
  const plugin = await runTool('docker', ['compose', 'version'], { timeoutMs }).then(
    () => true,
    () => false,
  );
  return plugin ? ['docker', 'compose'] : undefined;
}

/** Checks what docker-compose mounts, and what Prometheus scrapes, with the real tools. */
describe('deployment files and the metrics endpoint, checked by their own tools', () => {
  it('deploy/prometheus.yml passes promtool', async (t) => {
    if (!needTools(t, tools.promtool)) return;
    const { stdout } = await runTool('promtool', ['check', 'config', join(root, 'deploy/prometheus.yml')], {
      timeoutMs,
    });
    assert.match(stdout, /SUCCESS/);
  });

  it('deploy/alertmanager.yml passes amtool', async (t) => {
    if (!needTools(t, tools.amtool)) return;
    const { stdout } = await runTool('amtool', ['check-config', join(root, 'deploy/alertmanager.yml')], {
      timeoutMs,
    });
    assert.match(stdout, /SUCCESS/);
  });

  it('/metrics is valid Prometheus exposition (promtool check metrics)', async (t) => {
    if (!needTools(t, tools.promtool)) return;
    const pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-metrics-')));
    try {
      const metrics = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
      assert.match(metrics, /fabricscope_collector_generators_connected/);
      // Rejects with promtool's complaints when the exposition is invalid.
      await runTool('promtool', ['check', 'metrics'], { timeoutMs, input: metrics });
    } finally {
      await pipeline.stop();
    }
  });

  it('the Dockerfile copies every folder the build compiles', () => {
    const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    const copied = new Set(
      [...readFileSync(join(root, 'Dockerfile'), 'utf8').matchAll(/^COPY (\S+) \1$/gm)].map((m) => m[1]),
    );
    // proto/gen is generated in the image from proto/.
    const sources = include.map((folder) => folder.split('/')[0]!);
    assert.deepEqual(
      sources.filter((folder) => !copied.has(folder)),
      [],
    );
  });

  it('docker-compose.yml validates with the compose client', async (t) => {
    const client = await composeClient();
    if (!client) {
      needTools(t, tools.dockerCompose); // skips the test, or fails it under FABRICSCOPE_REQUIRE_TOOLS=1
      return;
    }
    const [command, ...args] = client as [string, ...string[]];
    await runTool(command, [...args, '-f', join(root, 'docker-compose.yml'), 'config', '-q'], { timeoutMs });
  });
});
