import * as grpc from '@grpc/grpc-js';
import { Ingest } from '../../collector/ingest.js';
import { startCollector } from '../../collector/server.js';
import { Sessions, type SessionOptions } from '../../collector/sessions.js';
import type { Bus } from '../../common/bus/bus.js';

/** A collector on a loopback port over a bus that takes everything, and a raw gRPC client of it. */
export interface TestCollector {
  client: grpc.Client;
  close(): Promise<void>;
}

/** Small limits (10 records a batch, 1 KiB UVEs) so tests reach them; `tokens` and stream caps as given. */
export async function startTestCollector(
  options: { tokens?: string[] } & Pick<SessionOptions, 'maxStreams' | 'maxStreamsPerPeer'> = {},
): Promise<TestCollector> {
  const { tokens = [], ...caps } = options;
  const bus = { publish: async () => undefined } as unknown as Bus;
  const sessions = new Sessions({ graceMs: 1000, report: async () => undefined, ...caps });
  const server = await startCollector(
    { host: '127.0.0.1', port: 0, tokens, maxInFlight: 4, maxInFlightBytes: 1 << 20, maxBatchRecords: 10 },
    new Ingest(bus, { maxBatchRecords: 10, maxUveBytes: 1024 }),
    sessions,
  );
  const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  return {
    client,
    close: async () => {
      client.close();
      await server.close();
      sessions.stop();
    },
  };
}
