import { errorMessage } from '../../../errors.js';
import { parseRule } from '../parse.js';
import type { AlarmRule } from '../types.js';
import addressMismatchCompute from './address-mismatch-compute.json' with { type: 'json' };
import addressMismatchControl from './address-mismatch-control.json' with { type: 'json' };
import bgpConnectivity from './bgp-connectivity.json' with { type: 'json' };
import confIncorrect from './conf-incorrect.json' with { type: 'json' };
import coreFiles from './core-files.json' with { type: 'json' };
import diskUsageCritical from './disk-usage-critical.json' with { type: 'json' };
import diskUsageHigh from './disk-usage-high.json' with { type: 'json' };
import nodeStatus from './node-status.json' with { type: 'json' };
import packageVersionMismatch from './package-version-mismatch.json' with { type: 'json' };
import partialSysinfo from './partial-sysinfo.json' with { type: 'json' };
import phyifBandwidth from './phyif-bandwidth.json' with { type: 'json' };
import processConnectivity from './process-connectivity.json' with { type: 'json' };
import processStatus from './process-status.json' with { type: 'json' };
import prouterConnectivity from './prouter-connectivity.json' with { type: 'json' };
import vrouterInterface from './vrouter-interface.json' with { type: 'json' };
import vrouterL3mhPhysicalInterfaceLinkDown from './vrouter-l3mh-physical-interface-link-down.json' with { type: 'json' };
import vrouterLimitExceeded from './vrouter-limit-exceeded.json' with { type: 'json' };
import vrouterTableLimitExceeded from './vrouter-table-limit-exceeded.json' with { type: 'json' };
import xmppCloseReason from './xmpp-close-reason.json' with { type: 'json' };
import xmppConnectivity from './xmpp-connectivity.json' with { type: 'json' };

/**
 * Tungsten Fabric's system alarms (`system-defined-*`, TF's contrail_alarm.py) over the UVEs
 * fabricscope carries, one TF-format file each. Rules, not code: a deployment may disable or override
 * one by name.
 */
const FILES: Record<string, unknown> = {
  'address-mismatch-compute.json': addressMismatchCompute,
  'address-mismatch-control.json': addressMismatchControl,
  'bgp-connectivity.json': bgpConnectivity,
  'conf-incorrect.json': confIncorrect,
  'core-files.json': coreFiles,
  'disk-usage-critical.json': diskUsageCritical,
  'disk-usage-high.json': diskUsageHigh,
  'node-status.json': nodeStatus,
  'package-version-mismatch.json': packageVersionMismatch,
  'partial-sysinfo.json': partialSysinfo,
  'phyif-bandwidth.json': phyifBandwidth,
  'process-connectivity.json': processConnectivity,
  'process-status.json': processStatus,
  'prouter-connectivity.json': prouterConnectivity,
  'vrouter-interface.json': vrouterInterface,
  'vrouter-l3mh-physical-interface-link-down.json': vrouterL3mhPhysicalInterfaceLinkDown,
  'vrouter-limit-exceeded.json': vrouterLimitExceeded,
  'vrouter-table-limit-exceeded.json': vrouterTableLimitExceeded,
  'xmpp-close-reason.json': xmppCloseReason,
  'xmpp-connectivity.json': xmppConnectivity,
};

/**
 * The built-in rules, read once when this module loads. A file that does not parse, or a name taken
 * twice, is a fault of ours and fails the import, naming the file.
 */
export const BUILTIN_RULES: readonly AlarmRule[] = load(FILES);

function load(files: Record<string, unknown>): AlarmRule[] {
  const rules = Object.entries(files).map(([file, json]) => {
    try {
      return parseRule(json);
    } catch (err) {
      throw new Error(`common/model/alarm-rules/builtin/${file}: ${errorMessage(err)}`, { cause: err });
    }
  });
  const names = rules.map((rule) => rule.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`common/model/alarm-rules/builtin: two rules are named ${twice}`);
  return rules;
}

const builtinByType = new Map(BUILTIN_RULES.map((rule) => [rule.fqName, rule]));

/**
 * A built-in rule's description, '' for any other type: what an alarm row written before rows
 * carried their rule's description (migration 13) is described by.
 */
export const builtinDescription = (alarmType: string): string =>
  builtinByType.get(alarmType)?.description ?? '';
