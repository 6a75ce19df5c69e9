import type { SharedConfig } from '../config.js';
import type { Bus } from './bus.js';
import { KafkaBus } from './kafka.js';
import { MemoryBus } from './memory.js';

/** Kafka when brokers are configured, else the in-process bus (only for services in one process). */
export function openBus(config: SharedConfig, clientId: string): Bus {
  if (config.kafkaBrokers.length === 0) return new MemoryBus(config.busMaxBytes);
  return new KafkaBus({
    brokers: config.kafkaBrokers,
    clientId,
    partitions: config.kafkaPartitions,
    replicationFactor: config.kafkaReplicationFactor,
    compression: config.kafkaCompression,
  });
}
