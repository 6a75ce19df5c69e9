/**
 * The alarms domain of the GraphQL API: what the alarm engine raised (alarm_state), every transition
 * it stored (alarms, kept 30 days), and the rules it evaluates, as Tungsten Fabric's alarm-gen
 * reports them (UVEAlarmInfo: type, severity, token, ack, alarm_rules); acknowledgements, which the
 * engine applies (sent on the bus's alarms topic). UVEs and flows link to their alarms (links.ts).
 */
export const alarmsTypeDefs = /* GraphQL */ `
  "TF's alarm_severity: 0 critical, 1 major, 2 minor."
  enum AlarmSeverity {
    CRITICAL
    MAJOR
    MINOR
  }

  "Where an alarm is in its life (TF's states). Shown (raised): ACTIVE and SOAK_IDLE."
  enum AlarmState {
    IDLE
    SOAK_ACTIVE
    ACTIVE
    SOAK_IDLE
  }

  "What a transition was: a state change, new content (new token), an acknowledgement, flapping begun or ended."
  enum AlarmTransitionKind {
    STATE
    UPDATED
    ACKNOWLEDGED
    FLAPPING
    STEADY
  }

  "One rule over one UVE."
  type Alarm {
    uveType: String!
    "The UVE's name, e.g. control-1."
    name: String!
    "TF's alarm type: the rule's fq name, e.g. default-global-system-config:system-defined-bgp-connectivity."
    type: String!
    severity: AlarmSeverity!
    "The rule's description as it stood when the alarm last changed (id_perms.description); null when it has none."
    description: String
    state: AlarmState!
    acknowledged: Boolean!
    "Raised more often than its rule's flap check allows: held ACTIVE until it settles."
    flapping: Boolean!
    "Changes with the alarm's content, never otherwise; an acknowledgement names it."
    token: String!
    "When its content last changed (TF's timestamp); null when idle."
    since: DateTime
    "Its last transition."
    updatedAt: DateTime!
    "What raised it, as TF's alarm_rules: each and_list that held, each condition with its matches."
    alarmRules: JSON
  }

  type AlarmEdge {
    cursor: String!
    node: Alarm!
  }

  type AlarmConnection {
    edges: [AlarmEdge!]!
    pageInfo: PageInfo!
  }

  "Every field given must match; a list matches when any of its values does."
  input AlarmFilter {
    severity: [AlarmSeverity!]
    "Rule fq names or names (system-defined-bgp-connectivity)."
    type: [String!]
    uveType: [String!]
    "A glob over the UVE name: * any run, ? one character."
    name: String
    "Default: the alarms shown, ACTIVE and SOAK_IDLE."
    state: [AlarmState!]
    acknowledged: Boolean
  }

  "One transition of an alarm, as the engine stored it."
  type AlarmTransition {
    time: DateTime!
    uveType: String!
    name: String!
    type: String!
    severity: AlarmSeverity!
    kind: AlarmTransitionKind!
    from: AlarmState!
    to: AlarmState!
    "The alarm's token after the transition."
    token: String!
    acknowledged: Boolean!
    flapping: Boolean!
  }

  type AlarmTransitionEdge {
    cursor: String!
    node: AlarmTransition!
  }

  type AlarmTransitionConnection {
    edges: [AlarmTransitionEdge!]!
    pageInfo: PageInfo!
  }

  "Where a rule in force comes from."
  enum AlarmRuleSource {
    "Shipped with fabricscope (TF's system alarms), as shipped (or disabled)."
    BUILTIN
    "Written at run time (createAlarmRule)."
    CUSTOM
    "Written at run time over a built-in of its fq name; deleting it brings the built-in back."
    OVERRIDE
  }

  "A rule in Tungsten Fabric's format, as the engine evaluates it."
  type AlarmRule {
    "The last element of the fq name, e.g. system-defined-bgp-connectivity."
    name: String!
    "The fq name joined by ':': the type of the alarms it raises."
    type: String!
    severity: AlarmSeverity!
    description: String!
    enabled: Boolean!
    "The UVE types it covers, or type:name for one UVE."
    uveKeys: [String!]!
    "Seconds its condition must hold before the alarm is raised, and be gone before it clears."
    activeTimer: Int!
    idleTimer: Int!
    "Flap check: more than freqCheckTimes raises within freqCheckSeconds; null when none."
    freqCheckTimes: Int
    freqCheckSeconds: Int
    "Its conditions as TF writes them: { or_list: [{ and_list: [{ operand1, operation, operand2, variables }] }] }."
    alarmRules: JSON!
    "A built-in of its fq name is shipped with fabricscope (TF's system alarms)."
    builtIn: Boolean!
    source: AlarmRuleSource!
    "Its newest stored version (every change stores one, from 1); 0 for a built-in never changed."
    version: Int!
    "Who stored its newest version, as the caller named itself."
    updatedBy: String
    "When its newest version was stored; null for a built-in never changed."
    updatedAt: DateTime
  }

  type Query {
    """
    Alarms in key order (UVE type, UVE name, alarm type), by default those shown (ACTIVE, SOAK_IDLE).
    """
    alarms(filter: AlarmFilter, first: Int = 100, after: String): AlarmConnection!
    "The alarms shown of one UVE (TF's /analytics/alarms of a UVE); empty when none."
    alarm(uveType: String!, name: String!): [Alarm!]!
    """
    Transitions in [from, to) (RFC 3339 or like now-15m; from defaults to 30 days before to, the time
    they are kept; to to now), newest first, optionally of one UVE or one alarm type.
    """
    alarmHistory(
      from: String
      to: String
      uveType: String
      name: String
      type: String
      first: Int = 100
      after: String
    ): AlarmTransitionConnection!
    "The rules in force: the built-ins, as rules written at run time override, disable or delete them."
    alarmRules: [AlarmRule!]!
  }

  type Mutation {
    """
    Acknowledges an alarm shown under token (TF's ack; type: the rule's fq name or name); the alarm
    once the engine has stored it. Refused when the alarm is not shown (NOT_FOUND) or its content has
    changed since the token (FAILED_PRECONDITION, naming the current one); UNAVAILABLE when this
    process cannot reach the alarm engine (no Kafka, no engine in the process) or it has not answered
    within the query timeout. A new content voids the acknowledgement, as in TF.
    """
    acknowledgeAlarm(uveType: String!, name: String!, type: String!, token: String!): Alarm!
    """
    Rule changes, each a new version of the rule (alarm_rules), stored by the alarm engine, which then
    evaluates again the UVEs the rule covers; the answer is the rule once stored. name: the fq name
    or its last component; author: who makes the change, kept with the version. A rule that does not
    parse is refused BAD_USER_INPUT naming each path at fault (alarm_rules.or_list[0].and_list[1].operation);
    one changed since expectedVersion FAILED_PRECONDITION naming its version now; UNAVAILABLE as for
    acknowledgeAlarm.

    createAlarmRule: a new rule in TF's format (fq_name or name, uve_keys, alarm_severity,
    alarm_rules, timers); refused when one of its fq name is in force (replace it).
    """
    createAlarmRule(rule: JSON!, author: String): AlarmRule!
    "Writes a rule over the one in force, which must be at expectedVersion (0: a built-in never changed); over a built-in, an override."
    replaceAlarmRule(name: String!, rule: JSON!, expectedVersion: Int!, author: String): AlarmRule!
    "Stops evaluating the rule (its alarms are cleared); a built-in too."
    disableAlarmRule(name: String!, author: String): AlarmRule!
    enableAlarmRule(name: String!, author: String): AlarmRule!
    "Deletes a rule written at run time: null, or the built-in of its name, back as shipped. A built-in as shipped is not deleted (disable it)."
    deleteAlarmRule(name: String!, author: String): AlarmRule
  }

  # Flows and UVEs link to their alarms (links.ts): each field reads the warehouse once per request,
  # whatever the number of parents, and is charged as a root field.
  extend type Uve {
    "The alarms shown (ACTIVE, SOAK_IDLE) of this UVE, by alarm type; empty when none."
    alarms: [Alarm!]!
  }

  extend type UveSummary {
    "The alarms shown (ACTIVE, SOAK_IDLE) of this UVE, by alarm type; empty when none."
    alarms: [Alarm!]!
  }

  extend type Flow {
    """
    The alarms shown (ACTIVE, SOAK_IDLE) of the UVEs this flow touches: its vRouter (vrouter), its
    source and destination networks (virtual-network), its interface (virtual-machine-interface,
    project:vmiUuid). Then the threshold alarms of a group named as one of its values: over flows
    (uve type flows) its vRouter, a network, a namespace or a workload; over interface stats
    (interface) its vmiUuid, a network, its vRouter or a workload. Each UVE's by alarm type.
    """
    alarms: [Alarm!]!
  }
`;
