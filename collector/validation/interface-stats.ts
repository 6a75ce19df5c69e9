import { InterfaceStatsSchema } from '../../common/proto.js';
import { interfaceStatsCatalog } from '../../common/schema/catalog/index.js';
import { checkName, firstProblem, type RecordCheck } from './record.js';
import { decodedCheck } from './wire-rules.js';

/** Checks InterfaceStats records: counters need the interface they belong to. */
export const checkInterfaceStatsRecord: RecordCheck = decodedCheck(
  interfaceStatsCatalog,
  InterfaceStatsSchema,
  (stats) =>
    firstProblem(
      () =>
        stats.vmiUuid.length === 16
          ? undefined
          : { field: 'vmi_uuid', reason: `${stats.vmiUuid.length} bytes; must be 16` },
      () => checkName('vrouter', stats.vrouter, true),
      () => checkName('vm_name', stats.vmName, false),
      () => checkName('virtual_network', stats.virtualNetwork, false),
      ...Object.keys(stats.drops).map((reason) => () => checkName('drops', reason, true)),
    ),
);
