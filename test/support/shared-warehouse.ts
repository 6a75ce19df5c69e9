import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, FabricError } from '../../common/errors.js';
import type { QueryParams, QuerySettings, Warehouse } from '../../common/warehouse/warehouse.js';

/**
 * One chdb warehouse for several processes. chdb lives inside one process, and the ClickHouse
 * server fabricscope needs (22 or newer) is not on every test machine: the test process serves its
 * warehouse's reads and statements over loopback HTTP, and a service in a child process reaches it
 * through SharedWarehouse. Test-only: it carries SQL in JSON, not ClickHouse's HTTP interface.
 */
type Call =
  | { method: 'query' | 'exec'; sql: string; params?: QueryParams; settings?: QuerySettings }
  | { method: 'insertRows'; table: string; rows: Record<string, unknown>[] };

const answer = (warehouse: Warehouse, call: Call): Promise<unknown[]> => {
  if (call.method === 'insertRows') return warehouse.insertRows(call.table, call.rows).then(() => []);
  if (call.method === 'query') return warehouse.query(call.sql, call.params, call.settings);
  return warehouse.exec(call.sql, call.params).then(() => []);
};

export async function serveWarehouse(warehouse: Warehouse): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call;
      answer(warehouse, call).then(
        (rows) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows)),
        (err: unknown) => response.writeHead(500).end(errorMessage(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The warehouse served by serveWarehouse: reads, statements and rows (no Protobuf inserts). */
export class SharedWarehouse implements Warehouse {
  constructor(private readonly url: string) {}

  dictionarySource(): string {
    return '';
  }

  query<T>(sql: string, params?: QueryParams, settings?: QuerySettings): Promise<T[]> {
    return this.call<T>({ method: 'query', sql, params, settings });
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    await this.call({ method: 'exec', sql, params });
  }

  insertProtobuf(): Promise<void> {
    throw new FabricError('INTERNAL', 'a shared test warehouse takes no Protobuf inserts');
  }

  async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    await this.call({ method: 'insertRows', table, rows: [...rows] });
  }

  async close(): Promise<void> {}

  private async call<T>(call: Call): Promise<T[]> {
    const response = await fetch(this.url, { method: 'POST', body: JSON.stringify(call) });
    if (!response.ok) throw new Error(`shared warehouse: ${await response.text()}`);
    return (await response.json()) as T[];
  }
}
