/**
 * The webhook receivers of alarm notifications (receivers.ts): those of `--alarm-webhooks` and those
 * written at run time, as the alarm engine stores them (alarm_receivers). Secrets are write-only: a
 * separate argument of scalar Secret, which takes any value and is checked by the API's validator, so
 * that no GraphQL coercion error can quote it (graphql-js quotes the value, or the whole input
 * object, it refuses).
 */
export const alarmReceiversTypeDefs = /* GraphQL */ `
  "A webhook receiver's HMAC secret (at least 16 characters): write-only, never returned nor quoted in an error; sent to the engine and stored sealed (--secrets-key)."
  scalar Secret

  "Where a receiver is defined: --alarm-webhooks (changed there; here only disabled or enabled), or this API."
  enum AlarmReceiverSource {
    CONFIG
    API
  }

  "A webhook receiver of alarm notifications (README: Alarm delivery)."
  type AlarmReceiver {
    name: String!
    source: AlarmReceiverSource!
    "A disabled receiver is sent nothing; what it had pending when disabled is given up (dead)."
    enabled: Boolean!
    url: String!
    "Each filter given must hold for an alarm to be sent (any of its values); null: any."
    severities: [AlarmSeverity!]
    "Rule fq names or their last part, * and ? globs."
    types: [String!]
    uveTypes: [String!]
    "UVE name globs."
    names: [String!]
    "Attempts in flight to it at most."
    concurrency: Int!
    "One attempt's limit, e.g. 10s."
    timeout: String!
    "The CA file an https receiver's certificate is checked with, beside the system's."
    ca: String
    "Whether a secret is set (it always is: every delivery is signed). The secret itself is never returned."
    secretSet: Boolean!
    "Its newest stored version: replaceAlarmReceiver names it."
    version: Int!
    updatedBy: String
    updatedAt: DateTime!
  }

  "What a receiver is, its name and secret aside; only url is required (the defaults: concurrency 4, timeout 10s)."
  input AlarmReceiverInput {
    url: String!
    severities: [AlarmSeverity!]
    types: [String!]
    uveTypes: [String!]
    names: [String!]
    concurrency: Int
    timeout: String
    ca: String
  }

  "One test delivery: signed as a notification is, its body saying it is a test (event: test)."
  type AlarmReceiverTest {
    receiver: String!
    "Its Idempotency-Key (and the body's id)."
    id: String!
    "Whether the receiver answered 2xx."
    delivered: Boolean!
    "The receiver's HTTP status; null when it did not answer."
    statusCode: Int
    "From the request sent to its answer (or to the failure)."
    latencyMs: Float!
    "Why it was not delivered: the receiver's origin and what it answered, or the connection's error."
    error: String
  }

  extend type Query {
    "Every receiver, configured or written at run time, by name."
    alarmReceivers: [AlarmReceiver!]!
  }

  extend type Mutation {
    """
    Receiver changes, each a new version of the receiver (alarm_receivers), stored by the alarm
    engine, whose notifications take it from then on; the answer is the receiver once stored. author:
    who makes the change, kept with the version. A receiver that does not check is refused
    BAD_USER_INPUT naming every field at fault (as --alarm-webhooks is checked); one changed since
    expectedVersion, a configured one replaced or deleted, or a secret given where this process has no
    --secrets-key to seal it with, FAILED_PRECONDITION; UNAVAILABLE when this process cannot reach
    the alarm engine or it has not stored the change within the query timeout.
    """
    createAlarmReceiver(
      name: String!
      receiver: AlarmReceiverInput!
      secret: Secret!
      author: String
    ): AlarmReceiver!
    "Writes a receiver of the API over its version expectedVersion; without secret, the stored one is kept."
    replaceAlarmReceiver(
      name: String!
      receiver: AlarmReceiverInput!
      secret: Secret
      expectedVersion: Int!
      author: String
    ): AlarmReceiver!
    "Stops sending to a receiver (a configured one too): its pending notifications are given up (dead)."
    disableAlarmReceiver(name: String!, author: String): AlarmReceiver!
    "Sends to it again, from the next notification on."
    enableAlarmReceiver(name: String!, author: String): AlarmReceiver!
    "Deletes a receiver of the API (a configured one is disabled, or removed from the configuration): true once stored."
    deleteAlarmReceiver(name: String!, author: String): Boolean!
    "Sends one signed test delivery to a receiver, enabled or not, from this process: what it answered. FAILED_PRECONDITION when its secret does not open here (no --secrets-key, another key)."
    testAlarmReceiver(name: String!): AlarmReceiverTest!
  }
`;
