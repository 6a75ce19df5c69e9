import { z } from 'zod';
import { duration, positive, type OptionTable } from '../common/config.js';
import { fabricMetricsOptions } from './fabric-metrics/config.js';
import { MAX_SNAPSHOT_INTERVAL_DAYS } from '../common/schema/catalog/retention.js';

const maxIntervalMs = MAX_SNAPSHOT_INTERVAL_DAYS * 86400e3;

/** The writer's section of the configuration: how it batches inserts, recognises resends and snapshots state. */
export const writerOptions = {
  writerMaxBytes: {
    flag: 'writer-max-bytes',
    env: 'FABRICSCOPE_WRITER_MAX_BYTES',
    default: 32 * 1024 * 1024,
    schema: positive,
    help: 'Bus bytes the writer gathers into one warehouse insert, at most',
  },
  writerLingerMs: {
    flag: 'writer-linger-ms',
    env: 'FABRICSCOPE_WRITER_LINGER_MS',
    default: 100,
    schema: z.coerce.number().int().min(0),
    help: 'How long the writer waits to fill an insert',
  },
  dedupWindowHours: {
    flag: 'dedup-window-hours',
    env: 'FABRICSCOPE_DEDUP_WINDOW_HOURS',
    default: 24,
    schema: positive,
    help: 'How far back a resent batch is recognised as already stored',
  },
  snapshotInterval: {
    flag: 'snapshot-interval',
    env: 'FABRICSCOPE_SNAPSHOT_INTERVAL',
    default: '6h',
    // The TTLs keep events one day past the retention, for the snapshot before an instant.
    schema: duration.refine((ms) => ms >= 60e3 && ms <= maxIntervalMs, {
      message: `must be between 1m and ${MAX_SNAPSHOT_INTERVAL_DAYS}d`,
    }),
    help: 'How often the writer snapshots routing tables and generator states, and deletes UVE state dead past retention (1m to 1d)',
  },
  ...fabricMetricsOptions,
} as const satisfies OptionTable;
