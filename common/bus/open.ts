import { join } from 'node:path';
import type { SharedConfig } from '../config.js';
import type { Bus } from './bus.js';
import { KafkaBus } from './kafka.js';
import { LocalLogBus } from './local-log.js';

/** Kafka when brokers are configured, else the local log in the data dir (services in one process). */
export function openBus(config: SharedConfig, clientId: string): Bus {
  if (config.kafkaBrokers.length === 0) {
    return new LocalLogBus({ dir: join(config.dataDir, 'bus'), maxBytes: config.busMaxBytes });
  }
  return new KafkaBus({
    brokers: config.kafkaBrokers,
    clientId,
    partitions: config.kafkaPartitions,
    replicationFactor: config.kafkaReplicationFactor,
    compression: config.kafkaCompression,
  });
}
