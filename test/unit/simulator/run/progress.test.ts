import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, formatSummary, progressPrinter } from '../../../../simulator/run/progress.js';
import type { SimulationReport } from '../../../../simulator/run/report.js';

describe('simulator progress lines', () => {
  const report: SimulationReport = {
    sent: 1_234_567,
    acked: 1_230_000,
    rejected: 3,
    duplicates: 200,
    resent: 400,
    elapsedMs: 4100,
    ackedPerSecond: 300_000,
    ackedTotals: { records: 1_230_000, bytes: 9e9, packets: 8e6 },
    ackedByVrouter: {},
    ackedByAction: { PASS: { records: 1_200_000, bytes: 8e9, packets: 7e6 } },
    sentByKind: { uves: 0, routes: 0, interface_stats: 0 },
    ackedByKind: { uves: 0, routes: 0, interface_stats: 0 },
    interfaceStatsSamples: 0,
    events: [],
  };

  it('formats progress and summary', () => {
    assert.equal(
      formatProgress(report),
      'sent 1,234,567  acked 1,230,000  rejected 3  duplicates 200  resent 400  rate 300,000 rec/s  elapsed 4.1s',
    );
    assert.match(formatSummary(report), /PASS {2}1,200,000 records/);
    const lines: string[] = [];
    progressPrinter({ write: (s: string) => lines.push(s) })(report);
    assert.equal(lines[0], `${formatProgress(report)}\n`);
  });
});
