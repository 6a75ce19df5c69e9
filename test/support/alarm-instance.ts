import * as alarms from '../../alarms/index.js';
import { KafkaBus } from '../../common/bus/kafka.js';
import { loadConfig } from '../../common/config.js';
import { SharedWarehouse } from './shared-warehouse.js';

/**
 * An alarm engine instance as a process of its own, for the tests that kill one with -9: the alarms
 * service through its index.ts, on Kafka, over the test process's chdb (shared-warehouse.ts).
 * Usage: node alarm-instance.js <brokers> <warehouse url> <partitions>. Prints `ready` once started;
 * its log (JSON lines on stdout) says which partitions of the alarms topic it owns.
 */
const [brokers, url, partitions] = process.argv.slice(2);
const bus = new KafkaBus({
  brokers: brokers!.split(','),
  clientId: `alarms-${process.pid}`,
  partitions: Number(partitions),
  replicationFactor: 1,
  // The broker's least: a dead instance's partitions move this long after its last heartbeat.
  sessionTimeoutMs: 6000,
});
const running = await alarms.start(loadConfig(alarms.options, {}, {}), {
  bus,
  warehouse: new SharedWarehouse(url!),
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void running
    .close()
    .then(() => bus.close())
    .then(() => process.exit(0));
});
