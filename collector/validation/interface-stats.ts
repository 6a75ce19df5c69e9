import { InterfaceStatsSchema } from '../../common/proto.js';
import { interfaceStatsCatalog } from '../../common/schema/catalog/index.js';
import { checkName, decodeRecord, firstProblem, isProblem, type RecordCheck } from './record.js';
import { wireCheck } from './wire-rules.js';

const onTheWire = wireCheck(interfaceStatsCatalog);

/** Checks InterfaceStats records: counters need the interface they belong to. */
export const checkInterfaceStatsRecord: RecordCheck = (buf, start, end, nowUs, maxClockSkewUs) => {
  const wrong = onTheWire(buf, start, end, nowUs, maxClockSkewUs);
  if (wrong) return wrong;
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
  );
};
