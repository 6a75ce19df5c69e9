import { liveUveParts } from '../schema/live-uves.js';
import { Params, type BuiltQuery } from './params.js';

/**
 * Lookups in the configuration the config node publishes (TF ContrailConfig UVE structs, each
 * property as JSON text): the rules of security groups and network policies by their uuid, and the
 * interfaces and load balancers behind the workloads people name. Read from the live UVE parts, as
 * the UVE API reads them.
 */

/** The struct and its property that hold each kind of object's rules. */
const RULE_HOLDERS = `if(type = 'security-group', 'security_group_entries', 'network_policy_entries')`;

/**
 * Every rule whose uuid is among `uuids`: the group or policy holding it (type, fq name), its
 * position in the list (1-based, as TF numbers them) and the rule as JSON text.
 */
export function rulesByUuidQuery(uuids: readonly string[]): BuiltQuery {
  const params = new Params();
  const holders = liveUveParts(
    `type IN ('security-group', 'network-policy') AND struct_type = 'ContrailConfig'`,
  );
  const rules = `JSONExtractArrayRaw(JSONExtractString(attributes, 'elements', ${RULE_HOLDERS}), 'policy_rule')`;
  return {
    sql: `SELECT type, name, position, rule FROM (SELECT type, name, ${rules} AS rules FROM (${holders}))
      ARRAY JOIN rules AS rule, arrayEnumerate(rules) AS position
      WHERE JSONExtractString(rule, 'rule_uuid') IN ${params.add('Array(String)', uuids)}
      ORDER BY type, name, position`,
    params: params.values,
  };
}

/** What to narrow interfaces by; each given value must match (globs are LIKE patterns already). */
export interface InterfaceNarrowing {
  namePattern?: string;
  address?: string;
  vn?: string;
  namespace?: string;
  /** A LIKE pattern of the interface UVE's name (`<project fq name>:<uuid>`). */
  uvePattern?: string;
}

/**
 * The live interface agent and config parts (UveVMInterfaceAgent, ContrailConfig) of the interfaces
 * whose agent part matches: the candidates; the caller checks the newest part again (an older row
 * may match where the newest does not).
 */
export function interfacePartsQuery(narrow: InterfaceNarrowing, limit: number): BuiltQuery {
  const params = new Params();
  const attr = (key: string): string => `JSONExtractString(attributes, '${key}')`;
  const conditions = [`type = 'virtual-machine-interface'`, `struct_type = 'UveVMInterfaceAgent'`];
  if (narrow.namePattern)
    conditions.push(`${attr('vm_name')} LIKE ${params.add('String', narrow.namePattern)}`);
  if (narrow.vn) conditions.push(`${attr('virtual_network')} = ${params.add('String', narrow.vn)}`);
  if (narrow.namespace) conditions.push(`${attr('namespace')} = ${params.add('String', narrow.namespace)}`);
  if (narrow.uvePattern) conditions.push(`name LIKE ${params.add('String', narrow.uvePattern)}`);
  if (narrow.address) {
    const ip = `toIPv6(${params.add('String', narrow.address)})`;
    conditions.push(
      `(toIPv6OrNull(${attr('ip_address')}) = ${ip} OR toIPv6OrNull(${attr('ip6_address')}) = ${ip})`,
    );
  }
  const names = `SELECT DISTINCT name FROM uve_latest WHERE ${conditions.join(' AND ')}
    LIMIT ${params.add('UInt32', limit)}`;
  const parts = liveUveParts(
    `type = 'virtual-machine-interface' AND struct_type IN ('UveVMInterfaceAgent', 'ContrailConfig')
      AND name IN (${names})`,
  );
  return {
    sql: `SELECT name, struct_type, attributes, toUnixTimestamp64Micro(updated) AS updated_us
      FROM (${parts}) ORDER BY name, struct_type, updated`,
    params: params.values,
  };
}

/** The live load balancers' configuration (Kubernetes services), by name. */
export function loadBalancersQuery(limit: number): BuiltQuery {
  const params = new Params();
  return {
    sql: `SELECT name, attributes FROM (${liveUveParts(`type = 'loadbalancer' AND struct_type = 'ContrailConfig'`)})
      ORDER BY name LIMIT ${params.add('UInt32', limit)}`,
    params: params.values,
  };
}

/**
 * Per vRouter named: its generator's latest session event (connected, disconnected, withdrawn) and
 * its VrouterAgent's interface counts.
 */
export function vrouterStateQuery(vrouters: readonly string[]): BuiltQuery {
  const params = new Params();
  const names = params.add('Array(String)', vrouters);
  const agent = liveUveParts(`type = 'vrouter' AND struct_type = 'VrouterAgent' AND name IN ${names}`);
  return {
    sql: `SELECT vrouter, status, agent.attributes AS attributes FROM (
        SELECT splitByChar(':', generator)[1] AS vrouter, toString(argMax(event, time)) AS status
        FROM generator_events
        WHERE generator LIKE '%:Compute:contrail-vrouter-agent:%' AND splitByChar(':', generator)[1] IN ${names}
        GROUP BY generator
      ) AS session LEFT JOIN (SELECT name, attributes FROM (${agent})) AS agent ON agent.name = session.vrouter`,
    params: params.values,
  };
}
