import { messages } from '../../common/proto.js';
import { checkName, checkTime, decodeRecord, firstProblem, isProblem, type RecordCheck } from './record.js';

interface InterfaceStatsFields {
  vmi_uuid: Buffer;
  vm_name: string;
  virtual_network: string;
  vrouter: string;
  drops: Record<string, number>;
  timestamp: number;
}

/** Checks InterfaceStats records: counters need the interface they belong to. */
export const checkInterfaceStatsRecord: RecordCheck = (buf, start, end, nowUs) => {
  const stats = decodeRecord<InterfaceStatsFields>(messages.InterfaceStats, buf, start, end);
  if (isProblem(stats)) return stats;
  return firstProblem(
    () =>
      stats.vmi_uuid.length === 16
        ? undefined
        : { field: 'vmi_uuid', reason: `${stats.vmi_uuid.length} bytes; must be 16` },
    () => checkName('vrouter', stats.vrouter, true),
    () => checkName('vm_name', stats.vm_name, false),
    () => checkName('virtual_network', stats.virtual_network, false),
    ...Object.keys(stats.drops).map((reason) => () => checkName('drops', reason, true)),
    () => checkTime('timestamp', stats.timestamp, nowUs),
  );
};
