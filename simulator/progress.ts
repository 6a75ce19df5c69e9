import type { SimulationReport } from './index.js';

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
