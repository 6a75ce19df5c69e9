import { isObject } from '../../common/model/alarm-rules/json.js';
import type { AlarmRule, Uve } from '../../common/model/alarm-rules/types.js';

/**
 * Which UVEs a rule is for, as TF alarm-gen keys its rule table (alarmgen_config_handler.py
 * `_update_alarm_config_table`, alarmgen.py `examine_uve_for_alarms`): a `uve_keys` entry names a
 * UVE type (`vrouter`) and then covers every UVE of it, or a type and a name (`vrouter:compute-1`)
 * and then covers that UVE alone.
 */
export function appliesTo(rule: AlarmRule, uveType: string, uveName: string): boolean {
  return rule.uveKeys.some(
    (scope) => scope.type === uveType && (scope.name === undefined || scope.name === uveName),
  );
}

/**
 * A rule defined under a project covers only that project's UVEs: those whose name, less its last
 * component, is the project's fq name. A virtual machine's UVE is named by its uuid alone, so its
 * project is read from its first interface's name, as TF does (`_get_uve_parent_fqname`).
 */
export function inProjectScope(rule: AlarmRule, uveType: string, uveName: string, uve: Uve): boolean {
  if (rule.project === undefined) return true;
  const named = uveType === 'virtual-machine' ? firstInterface(uve) : uveName;
  return named !== undefined && parentOf(named) === rule.project;
}

function firstInterface(uve: Uve): string | undefined {
  const agent = uve['UveVirtualMachineAgent'];
  const first =
    isObject(agent) && Array.isArray(agent['interface_list']) ? agent['interface_list'][0] : undefined;
  return typeof first === 'string' ? first : undefined;
}

// Python's `name.rsplit(':', 1)[0]`: a name without ':' is its own parent, and matches no project.
function parentOf(fqName: string): string {
  const last = fqName.lastIndexOf(':');
  return last < 0 ? fqName : fqName.slice(0, last);
}
