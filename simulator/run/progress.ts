import type { SimulationReport } from './report.js';

/** Progress output for the CLI: one line per report, rewritten in place on a terminal. */
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatProgress(r: SimulationReport): string {
  return [
    `sent ${count(r.sent)}`,
    `acked ${count(r.acked)}`,
    `rejected ${count(r.rejected)}`,
    `duplicates ${count(r.duplicates)}`,
    `resent ${count(r.resent)}`,
    `rate ${count(r.ackedPerSecond)} rec/s`,
    `elapsed ${(r.elapsedMs / 1000).toFixed(1)}s`,
  ].join('  ');
}

/** The final figures, including the acked totals an end-to-end check compares with the warehouse. */
export function formatSummary(r: SimulationReport): string {
  const lines = [formatProgress(r)];
  const t = r.ackedTotals;
  lines.push(
    `acked totals: ${count(t.records)} records, ${count(t.bytes)} bytes, ${count(t.packets)} packets`,
  );
  for (const [action, a] of Object.entries(r.ackedByAction)) {
    lines.push(
      `  ${action.padEnd(5)} ${count(a.records)} records, ${count(a.bytes)} bytes, ${count(a.packets)} packets`,
    );
  }
  const kinds = Object.keys(r.sentByKind) as (keyof SimulationReport['sentByKind'])[];
  if (kinds.some((k) => r.sentByKind[k] > 0)) {
    const each = kinds.map(
      (k) => `${count(r.ackedByKind[k])}/${count(r.sentByKind[k])} ${k.replace('_', ' ')}`,
    );
    lines.push(`acked state (of sent): ${each.join(', ')}`);
  }
  if (r.interfaceStatsSamples > 0) lines.push(`interface-stats samples: ${r.interfaceStatsSamples}`);
  for (const e of r.events) {
    const status = e.completed ? 'played' : e.startedMs >= 0 ? 'cut short' : 'not reached';
    lines.push(`event ${e.kind} on ${e.target}: ${status}`);
  }
  return lines.join('\n');
}

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** An onProgress callback writing formatProgress lines (carriage-return updates on a TTY). */
export function progressPrinter(out: ProgressStream = process.stderr): (r: SimulationReport) => void {
  return (r) => {
    if (out.isTTY) out.write(`\r\x1b[K${formatProgress(r)}`);
    else out.write(`${formatProgress(r)}\n`);
  };
}
