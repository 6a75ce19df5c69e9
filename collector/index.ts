import type { Bus } from '../common/bus/bus.js';
import type { ConfigOf } from '../common/config.js';
import { collectorOptions } from './config.js';
import { GeneratorEvents } from './generator-events.js';
import { Ingest } from './ingest.js';
import { startCollector } from './server.js';
import { Sessions } from './sessions.js';

/** The collector service: gRPC ingest from generators, validated on the wire, onto the bus. */
export { collectorOptions as options };
export type CollectorConfig = ConfigOf<typeof collectorOptions>;

export interface RunningCollector {
  /** The gRPC port it listens on (the configured one, or the one picked for 0). */
  port: number;
  close(): Promise<void>;
}

export async function start(config: CollectorConfig, deps: { bus: Bus }): Promise<RunningCollector> {
  const events = new GeneratorEvents(deps.bus);
  const sessions = new Sessions({
    graceMs: config.generatorGrace,
    report: (event) => events.publish(event),
    maxStreams: config.maxStreams,
    maxStreamsPerPeer: config.maxStreamsPerPeer,
  });
  const server = await startCollector(
    { ...config, host: config.grpcHost, port: config.grpcPort },
    new Ingest(deps.bus, config),
    sessions,
  );
  return {
    port: server.port,
    close: async () => {
      await server.close();
      sessions.stop();
    },
  };
}
