import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killedOnExit, stopChild, untilReady } from './child-processes.js';
import { freePort } from './kafka.js';
import { tools } from './system-tools.js';

export interface AlertmanagerServer {
  /** http://127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

/**
 * A Prometheus Alertmanager (Debian's binary), alone (no cluster), routing every alert to
 * `webhookUrl` at once: no group wait, and a group's changes (a resolve) after a second.
 */
export async function startAlertmanager(webhookUrl: string): Promise<AlertmanagerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-alertmanager-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `route:
  receiver: test
  group_by: [alertname, uve_name]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
`,
  );
  const url = `http://127.0.0.1:${await freePort()}`;
  const child = killedOnExit(
    spawn(
      tools.alertmanager.command,
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=${new URL(url).host}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilReady(child, tools.alertmanager.command, `${url}/-/ready`);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
