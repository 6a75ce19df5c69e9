import { z } from 'zod';
import { positive, type OptionTable } from '../common/config.js';

/** The writer's section of the configuration: how it batches inserts and recognises resends. */
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
} as const satisfies OptionTable;
