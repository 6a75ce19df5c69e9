import { InterfaceStatsSchema } from '../../common/proto.js';
import { checkName, checkTime, decodeRecord, firstProblem, isProblem, type RecordCheck } from './record.js';

/** Checks InterfaceStats records: counters need the interface they belong to. */
export const checkInterfaceStatsRecord: RecordCheck = (buf, start, end, nowUs) => {
  const stats = decodeRecord(InterfaceStatsSchema, buf, start, end);
  if (isProblem(stats)) return stats;
  return firstProblem(
    () =>
      stats.vmiUuid.length === 16
        ? undefined
        : { field: 'vmi_uuid', reason: `${stats.vmiUuid.length} bytes; must be 16` },
    () => checkName('vrouter', stats.vrouter, true),
    () => checkName('vm_name', stats.vmName, false),
    () => checkName('virtual_network', stats.virtualNetwork, false),
    ...Object.keys(stats.drops).map((reason) => () => checkName('drops', reason, true)),
    () => checkTime('timestamp', Number(stats.timestamp), nowUs),
  );
};
