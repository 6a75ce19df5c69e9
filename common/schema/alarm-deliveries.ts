/**
 * The alarm notifications' outbox (migration 8): one delivery per (alarm transition, receiver),
 * written `pending` in the engine's step before the step is taken and its bus delivery committed,
 * then written again `delivered` or `dead` once settled. A ReplacingMergeTree keyed by the delivery
 * id keeps the settled row (version 2) over the pending one (version 1): the outbox stays one row
 * per delivery, and a pending row written twice (a step retried) is one delivery. Attempts are not
 * rows: a retry changes nothing durable, and after a restart a pending delivery is tried again.
 * Every row of a delivery has the same `created`, which leads the key: a restart reads the pending
 * deliveries of recent days by range, and the TTL drops a delivery's rows together, by day (a TTL
 * that kept the older row would bring a settled delivery back as pending).
 */
export const deliveryStates = ['pending', 'delivered', 'dead'] as const;

export const alarmDeliveryStatements: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS alarm_deliveries (
      id String,
      receiver LowCardinality(String),
      created DateTime64(3, 'UTC'),
      version UInt8,
      state Enum8(${deliveryStates.map((s, i) => `'${s}' = ${i}`).join(', ')}),
      attempts UInt32,
      settled DateTime64(3, 'UTC'),
      event String CODEC(ZSTD(3))
    ) ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMMDD(created)
    ORDER BY (created, receiver, id)
    TTL toDateTime(created) + INTERVAL 30 DAY
    SETTINGS ttl_only_drop_parts = 1`,
];
