import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPipelineProcess } from '../support/pipeline-process.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const onPath = (tool: string) =>
  ['/usr/bin', '/usr/local/bin', '/bin'].some((dir) => existsSync(join(dir, tool)));

/** Checks what docker-compose mounts, and what Prometheus scrapes, with the real tools. */
describe('deployment files and the metrics endpoint, checked by their own tools', () => {
  it('deploy/prometheus.yml passes promtool', async () => {
    const { stdout } = await run('promtool', ['check', 'config', join(root, 'deploy/prometheus.yml')]);
    assert.match(stdout, /SUCCESS/);
  });

  it('deploy/alertmanager.yml passes amtool', async () => {
    const { stdout } = await run('amtool', ['check-config', join(root, 'deploy/alertmanager.yml')]);
    assert.match(stdout, /SUCCESS/);
  });

  it('/metrics is valid Prometheus exposition (promtool check metrics)', async () => {
    const pipeline = await startPipelineProcess(mkdtempSync(join(tmpdir(), 'fs-metrics-')));
    try {
      const metrics = await (await fetch(`${pipeline.httpUrl}/metrics`)).text();
      assert.match(metrics, /fabricscope_collector_generators_connected/);
      const check = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      check.stdout.on('data', (d: Buffer) => (output += d.toString()));
      check.stderr.on('data', (d: Buffer) => (output += d.toString()));
      check.stdin.end(metrics);
      const code = await new Promise((resolve) => check.on('exit', resolve));
      assert.equal(code, 0, output);
    } finally {
      await pipeline.stop();
    }
  });

  it('docker-compose.yml validates with the compose client', async (t) => {
    const client = onPath('docker-compose')
      ? ['docker-compose']
      : onPath('docker')
        ? ['docker', 'compose']
        : [];
    if (client.length === 0) return t.skip('no compose client on this machine');
    const [command, ...args] = client as [string, ...string[]];
    try {
      await run(command, [...args, '-f', join(root, 'docker-compose.yml'), 'config', '-q']);
    } catch (err) {
      if (/unknown command|is not a docker command/.test(String(err)))
        return t.skip('docker has no compose plugin');
      throw err;
    }
  });
});
