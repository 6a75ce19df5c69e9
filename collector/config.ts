import { z } from 'zod';
import { duration, list, port, positive, type OptionTable } from '../common/config.js';
import { catalogs } from '../common/schema/catalog/index.js';
import { recordRetentionDays } from '../common/schema/catalog/retention.js';
import type { RecordCatalog } from '../common/schema/catalog/types.js';

/**
 * ClickHouse's max_partitions_per_insert_block at its default: an insert whose rows fall into more
 * partitions is refused whole, and the writer's topic would stall behind it.
 */
const MAX_PARTITIONS_PER_INSERT = 100;
/**
 * Days of arrival one writer insert may mix: it joins the batches it finds on the bus, which after an
 * outage arrived up to Kafka's retention (7 days by default) apart; twice that for room.
 */
const DELIVERY_SPAN_DAYS = 14;
const DAY_MS = 86_400e3;

const partitionedByDayOfRecordTime = (c: RecordCatalog): boolean =>
  c.table.partitionBy === `toYYYYMMDD(${c.time.column})`;

/** The longest retention behind the clock the collector accepts for a kind partitioned by day of record time. */
const retentionDays = Math.max(
  0,
  ...catalogs.filter(partitionedByDayOfRecordTime).map((c) => recordRetentionDays(c) ?? 0),
);

/**
 * The furthest ahead --max-clock-skew may reach. The record times of one insert span the retention
 * behind the clock, the skew ahead of it and the days its batches arrived over, a partition a day
 * (and one more for the day boundaries): beyond this the warehouse refuses the insert.
 */
export const MAX_CLOCK_SKEW_DAYS = MAX_PARTITIONS_PER_INSERT - retentionDays - DELIVERY_SPAN_DAYS - 1;

/** The collector's section of the configuration: where it listens and what it accepts. */
export const collectorOptions = {
  grpcHost: {
    flag: 'grpc-host',
    env: 'FABRICSCOPE_GRPC_HOST',
    default: '0.0.0.0',
    schema: z.string().min(1),
    help: 'Address the gRPC ingest listens on',
  },
  grpcPort: {
    flag: 'grpc-port',
    env: 'FABRICSCOPE_GRPC_PORT',
    default: 50051,
    schema: port,
    help: 'gRPC ingest port (0 picks a free one)',
  },
  tokens: {
    flag: 'tokens',
    env: 'FABRICSCOPE_TOKENS',
    default: [] as string[],
    schema: list,
    help: 'Comma-separated tokens generators must present in Hello, each alone (any identity) or token=pattern (a glob over the generator identity); empty accepts any',
  },
  maxBatchRecords: {
    flag: 'max-batch-records',
    env: 'FABRICSCOPE_MAX_BATCH_RECORDS',
    default: 20000,
    schema: positive,
    help: 'Largest batch a generator may send (records)',
  },
  maxInFlight: {
    flag: 'max-in-flight',
    env: 'FABRICSCOPE_MAX_IN_FLIGHT',
    default: 8,
    schema: positive,
    help: 'Unacked batches per generator stream before the collector stops reading it',
  },
  maxInFlightBytes: {
    flag: 'max-in-flight-bytes',
    env: 'FABRICSCOPE_MAX_IN_FLIGHT_BYTES',
    default: 128 * 1024 * 1024,
    schema: positive,
    help: 'Bytes of batches not yet acked over all streams before the collector stops reading more (bounds its memory however many generators wait)',
  },
  maxStreams: {
    flag: 'max-streams',
    env: 'FABRICSCOPE_MAX_STREAMS',
    default: 10000,
    schema: positive,
    help: 'Open Publish streams the collector serves in all; a Hello over it is refused RESOURCE_EXHAUSTED',
  },
  maxStreamsPerPeer: {
    flag: 'max-streams-per-peer',
    env: 'FABRICSCOPE_MAX_STREAMS_PER_PEER',
    default: 256,
    schema: positive,
    help: 'Open Publish streams from one peer address (a proxy in front counts as one peer); over it a Hello is refused RESOURCE_EXHAUSTED',
  },
  maxUveBytes: {
    flag: 'max-uve-bytes',
    env: 'FABRICSCOPE_MAX_UVE_BYTES',
    default: 65536,
    schema: positive,
    help: 'Largest UVE struct accepted (encoded bytes); larger ones are rejected',
  },
  maxClockSkew: {
    flag: 'max-clock-skew',
    env: 'FABRICSCOPE_MAX_CLOCK_SKEW',
    default: '1h',
    schema: duration.refine((ms) => ms <= MAX_CLOCK_SKEW_DAYS * DAY_MS, {
      message: `at most ${MAX_CLOCK_SKEW_DAYS}d: record times from the ${retentionDays}-day retention behind the clock to this far ahead must fit in the ${MAX_PARTITIONS_PER_INSERT} day partitions ClickHouse accepts in one insert (max_partitions_per_insert_block)`,
    }),
    help: `How far ahead of the collector clock a record time may be (at most ${MAX_CLOCK_SKEW_DAYS}d); later ones are rejected`,
  },
  generatorGrace: {
    flag: 'generator-grace',
    env: 'FABRICSCOPE_GENERATOR_GRACE',
    default: '30s',
    schema: duration,
    help: "How long a disconnected generator's UVEs stay before they are withdrawn (it resends on reconnect)",
  },
} as const satisfies OptionTable;
