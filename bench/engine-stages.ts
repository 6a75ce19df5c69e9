/**
 * Where the engine's insert time goes, run by hand (`npm run bench -- engine-stages [records]
 * [vrouters]`): the writer's own inserts of the same simulated flow rows, each stage added in turn,
 * timed as wall time and as the process's CPU time (chdb runs in this process: its threads count).
 * chdb has no system.query_log or part_log (no server configuration), so the stages are separated by
 * what each statement does, not by the engine's ProfileEvents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBusBatch, encodeStamp, frameRows } from '../common/bus/envelope.js';
import { migrate } from '../common/schema/migrate.js';
import { ChdbWarehouse } from '../common/warehouse/chdb.js';
import type { ProtobufInsert } from '../common/warehouse/warehouse.js';
import { writerRoute } from '../writer/routes.js';
import { simulatedFlowBatches, storeWorkloads } from './simulated-flows.js';
import { median } from './timing.js';

const records = Number(process.argv[2] ?? 1_000_000);
const vrouters = Number(process.argv[3] ?? 4);
const batchSize = 5000;
/** MiB of bus values per insert: the writer's default (--writer-max-bytes) unless given. */
const insertBytes = Number(process.argv[4] ?? 32) * 1024 * 1024;

/** The writer's framing of the values into the rows of inserts of its default size. */
function frameInserts(values: Buffer[]): Buffer[][] {
  const inserts: Buffer[][] = [[]];
  let size = 0;
  for (const value of values) {
    const batch = decodeBusBatch(value);
    const { bytes } = frameRows(value, batch.start, batch.end, encodeStamp(batch.header));
    if (size + bytes.length > insertBytes && size > 0) {
      inserts.push([]);
      size = 0;
    }
    inserts.at(-1)!.push(bytes);
    size += bytes.length;
  }
  return inserts;
}

interface Stage {
  name: string;
  wallMs: number;
  cpuMs: number;
}

/** Rounds of each stage: the machine's load varies, the median of each is printed. */
const rounds = Number(process.argv[5] ?? 5);

async function measure(name: string, run: () => Promise<unknown> | unknown): Promise<Stage> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    const started = performance.now();
    await run();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  return { name, wallMs: median(wall), cpuMs: median(cpu) };
}

/** The flow insert with the dictionary lookups replaced by what the sender gave. */
function withoutEnrichment(insert: ProtobufInsert, table: string): ProtobufInsert {
  const columns = insert.columns.map(([column, expression]): [string, string] => {
    if (!expression.includes('dictGet')) return [column, expression];
    return [column, column.endsWith('_labels') ? 'map()' : `record_${column}`];
  });
  return { ...insert, table, columns };
}

const dataDir = mkdtempSync(join(tmpdir(), 'fs-bench-stages-'));
const warehouse = new ChdbWarehouse(dataDir);
try {
  await migrate(warehouse);
  const flows = writerRoute('flows').insert;
  await warehouse.exec(`CREATE TABLE parsed_null (${flows.structure}) ENGINE = Null`);
  await warehouse.exec('CREATE TABLE flows_null AS flows ENGINE = Null');
  await warehouse.exec('CREATE TABLE flows_plain AS flows');
  const read = flows.structure.split(', ').map((c) => c.split(' ')[0]!);
  const parsedOnly: ProtobufInsert = { ...flows, table: 'parsed_null', columns: read.map((c) => [c, c]) };

  const { topology, values } = simulatedFlowBatches(records, vrouters, batchSize);
  await storeWorkloads(warehouse, topology.workloads);
  let inserts: Buffer[][] = [];
  const stages: Stage[] = [await measure('writer framing (JS)', () => (inserts = frameInserts(values)))];
  const each = (insert: ProtobufInsert) => async () => {
    for (const chunks of inserts) await warehouse.insertProtobuf(insert, chunks);
  };
  stages.push(await measure('Protobuf parse (into Null)', each(parsedOnly)));
  stages.push(await measure('+ stored columns computed', each(withoutEnrichment(flows, 'flows_null'))));
  stages.push(await measure('+ workload enrichment (6 lookups)', each({ ...flows, table: 'flows_null' })));
  stages.push(await measure('+ raw MergeTree insert', each({ ...flows, table: 'flows_plain' })));
  stages.push(await measure('+ rollup views (flows_1m → flows_1h)', each(flows)));
  const merges = await measure('background merges (until none run)', async () => {
    await warehouse.exec('OPTIMIZE TABLE flows_plain FINAL');
  });

  const [enriched] = await warehouse.query<{ share: number }>(
    "SELECT round(countIf(source_workload != '') / count(), 3) AS share FROM flows",
  );
  const perMillion = (ms: number) => ((ms / records) * 1e6) / 1000;
  console.log(
    `${records.toLocaleString('en-US')} flow records, ${inserts.length} inserts of ≤ ${insertBytes >> 20} MiB, ` +
      `${topology.workloads.length} workloads, source workload found for ${enriched?.share} of the flows`,
  );
  console.log('| stage | wall ms | rows/s | CPU s per 1M | CPU s per 1M added |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  let before = 0;
  for (const stage of stages) {
    const cpu = perMillion(stage.cpuMs);
    const added = stage.name.startsWith('+') ? cpu - before : cpu;
    const rows = Math.round((records * 1000) / stage.wallMs).toLocaleString('en-US');
    console.log(
      `| ${stage.name} | ${Math.round(stage.wallMs)} | ${rows} | ${cpu.toFixed(2)} | ${added.toFixed(2)} |`,
    );
    before = cpu;
  }
  console.log(
    `| OPTIMIZE FINAL of the raw copy | ${Math.round(merges.wallMs)} | | ${perMillion(merges.cpuMs).toFixed(2)} | |`,
  );
} finally {
  await warehouse.close();
  rmSync(dataDir, { recursive: true, force: true });
}
