import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killedOnExit, stopChild, untilReady } from './child-processes.js';
import { freePort } from './kafka.js';
import { tools } from './system-tools.js';

export interface PrometheusServer {
  /** http://127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of each /metrics to scrape, as job `fabricscope` (as deploy/prometheus.yml names it). */
  targets: string[];
  /** Absolute paths of rule files to load. */
  ruleFiles?: string[];
  /** Scrape and rule evaluation interval (default 1s: a test sees rates within seconds). */
  interval?: string;
}

/** A Prometheus server (Debian's binary) scraping the targets and evaluating the rule files. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-prometheus-'));
  const interval = options.interval ?? '1s';
  // JSON is YAML: no quoting of paths or targets to get wrong.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: 'fabricscope', static_configs: [{ targets: options.targets }] }],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${await freePort()}`;
  const child = killedOnExit(
    spawn(
      tools.prometheus.command,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${new URL(url).host}`,
        // Its stop is logged as a warning: only errors are worth the test's output.
        '--log.level=error',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilReady(child, tools.prometheus.command, `${url}/-/ready`);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One sample of an instant query's answer: its labels (with __name__ if it has one) and value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

/** GET a Prometheus HTTP API path; rejects with Prometheus' own error when it answers one. */
async function api<T>(url: string, path: string, params: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as ApiAnswer<T>;
  if (body.status !== 'success') {
    throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
  }
  return body.data as T;
}

/**
 * Runs `promql` as an instant query now and returns its samples (a scalar as one sample without
 * labels); rejects with Prometheus' error for a query it cannot parse or evaluate.
 */
export async function queryPrometheus(url: string, promql: string): Promise<PromSample[]> {
  type Value = [number, string];
  const data = await api<{
    resultType: string;
    result: { metric: Record<string, string>; value: Value }[] | Value;
  }>(url, '/api/v1/query', { query: promql });
  if (data.resultType === 'scalar') return [{ metric: {}, value: Number((data.result as Value)[1]) }];
  return (data.result as { metric: Record<string, string>; value: Value }[]).map((s) => ({
    metric: s.metric,
    value: Number(s.value[1]),
  }));
}

/** A loaded rule as /api/v1/rules tells it: its last evaluation's health and error. */
export interface PromRule {
  name: string;
  type: 'recording' | 'alerting';
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
}

/** Every rule Prometheus loaded, of every group. */
export async function prometheusRules(url: string): Promise<PromRule[]> {
  const data = await api<{ groups: { rules: PromRule[] }[] }>(url, '/api/v1/rules');
  return data.groups.flatMap((group) => group.rules);
}
