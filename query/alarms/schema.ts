/**
 * The alarms domain of the GraphQL API: what the alarm engine raised (alarm_state), every transition
 * it stored (alarms, kept 30 days), and the rules it evaluates, as Tungsten Fabric's alarm-gen
 * reports them (UVEAlarmInfo: type, severity, token, ack, alarm_rules); acknowledgements, which the
 * engine applies (sent on the bus's alarms topic).
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
    "The rule's description, when the rule is known."
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
    "Shipped with fabricscope (TF's system alarms)."
    builtIn: Boolean!
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
    "The rules the engine evaluates."
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
  }
`;
