import { AggType, type UveUpdate } from '../../../../common/proto.js';
import { processRecord, type FabricCondition, type ProcessRecord } from '../condition.js';
import type { FabricNode } from '../fabric-nodes.js';
import { uve } from './uve.js';

/**
 * A node's NodeStatus, with what TF's alarms read in it: the module's process_status (Functional while
 * it runs), every supervised process's process_info, the build and package versions, the disk usage
 * per partition and the core files in /var/crashes.
 */

/** The release every simulated node runs. */
const RELEASE = { version: '2011', build: '138' } as const;
const PACKAGE_VERSION = `${RELEASE.version}.${RELEASE.build}`;
const BUILD_INFO = JSON.stringify({
  'build-info': [
    {
      'build-version': RELEASE.version,
      'build-number': RELEASE.build,
      'build-id': PACKAGE_VERSION,
      'build-user': 'tf-builder',
    },
  ],
});

interface Partition {
  name: string;
  type: string;
  size1k: number;
  /** Percentage used on a healthy node, by the node's index. */
  usual: (index: number) => number;
}

/** The root partition and the data partition (logs, container images, cores), both well below 70%. */
const PARTITIONS: readonly Partition[] = [
  { name: '/dev/sda1', type: 'ext4', size1k: 104_857_600, usual: (i) => 20 + ((i * 3) % 15) },
  { name: '/dev/sdb1', type: 'xfs', size1k: 524_288_000, usual: (i) => 35 + ((i * 5) % 20) },
];
const DATA_PARTITION = '/dev/sdb1';

function diskUsage(node: FabricNode, c: FabricCondition): Record<string, unknown> {
  return Object.fromEntries(
    PARTITIONS.map((p) => {
      const percent =
        (p.name === DATA_PARTITION ? c.diskUsed.get(node.host) : undefined) ?? p.usual(node.index);
      const used = Math.round((p.size1k * percent) / 100);
      return [
        p.name,
        {
          partition_type: p.type,
          partition_name: p.name,
          partition_space_used_1k: used,
          partition_space_available_1k: p.size1k - used,
          percentage_partition_space_used: percent,
        },
      ];
    }),
  );
}

/** TF ProcessInfo: times as µs strings, the optional ones only once they happened. */
function processInfo(name: string, r: ProcessRecord): Record<string, unknown> {
  return {
    process_name: name,
    process_state: r.state,
    start_count: r.startCount,
    stop_count: r.stopCount,
    exit_count: r.exitCount,
    last_start_time: String(r.lastStartUs),
    ...(r.lastStopUs !== undefined ? { last_stop_time: String(r.lastStopUs) } : {}),
    ...(r.lastExitUs !== undefined ? { last_exit_time: String(r.lastExitUs) } : {}),
    core_file_list: r.cores,
  };
}

export function nodeStatusUve(node: FabricNode, c: FabricCondition, nowUs: number): UveUpdate {
  const running = processRecord(c, node, node.module).state === 'PROCESS_STATE_RUNNING';
  const status = {
    module_id: node.module,
    instance_id: '0',
    state: running ? 'Functional' : 'Non-Functional',
    description: running ? '' : node.downDescription,
  };
  return uve(
    node.uveType,
    node.host,
    'NodeStatus',
    {
      process_status: [status],
      process_info: node.processes.map((p) => processInfo(p, processRecord(c, node, p))),
      build_info: BUILD_INFO,
      installed_package_version: PACKAGE_VERSION,
      running_package_version: PACKAGE_VERSION,
      disk_usage_info: diskUsage(node, c),
      all_core_file_list: c.cores.get(node.host) ?? [],
    },
    nowUs,
    { process_status: [AggType.AGG_APPEND, 'module_id'], process_info: [AggType.AGG_APPEND, 'process_name'] },
  );
}
