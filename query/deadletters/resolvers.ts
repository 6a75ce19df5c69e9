import { z } from 'zod';
import { topicKinds } from '../../common/bus/bus.js';
import { invalid } from '../../common/errors.js';
import type { Warehouse } from '../../common/warehouse/warehouse.js';
import type { QueryResolvers } from '../generated/graphql.js';
import { checkFirst } from '../shared/arguments.js';
import { cursorCodec } from '../shared/cursor.js';
import { keysetPage } from '../shared/paging.js';
import { resolver } from '../shared/resolve.js';
import { microsToRfc3339, parseRange, toRfc3339 } from '../shared/time.js';
import { deadLettersQuery, type DeadLetterPosition } from './sql.js';

/** How long dead letters are kept (migration 3's TTL): the default reach of a listing. */
const KEPT_US = 7 * 86400e6;

interface DeadLetterRow {
  deadAt: string;
  receivedAt: string;
  kind: string;
  target: string;
  generator: string;
  epoch: string;
  seq: string;
  recordIndex: number;
  record: string;
  errorCode: number;
  error: string;
}

export function deadLetterResolvers(warehouse: Warehouse): QueryResolvers {
  return {
    deadLetters: resolver('deadLetters', async (args) => {
      checkFirst(args.first);
      const range = parseRange(args.from, args.to, Date.now(), KEPT_US);
      const kind = args.kind ?? undefined;
      if (kind !== undefined && !(topicKinds as readonly string[]).includes(kind))
        throw invalid(`kind: "${kind}" is not one of ${topicKinds.join(', ')}`);
      const after = args.after ? deadLetterCursor.decode(args.after, 'after') : undefined;
      return keysetPage(
        args.first,
        async (limit) => {
          const query = deadLettersQuery(range, limit, {
            generator: args.generator ?? undefined,
            kind,
            after,
          });
          return warehouse.query<DeadLetterRow>(query.sql, query.params);
        },
        (row) => deadLetterCursor.encode(position(row)),
        (row) => ({
          deadAt: microsToRfc3339(Number(row.deadAt)),
          receivedAt: toRfc3339(row.receivedAt),
          kind: row.kind,
          table: row.target,
          generator: row.generator,
          batchEpoch: row.epoch,
          batchSeq: row.seq,
          index: row.recordIndex,
          record: row.record,
          errorCode: row.errorCode,
          error: row.error,
        }),
      );
    }),
  };
}

const position = (row: DeadLetterRow): DeadLetterPosition => ({
  deadAt: Number(row.deadAt),
  generator: row.generator,
  epoch: row.epoch,
  seq: row.seq,
  index: row.recordIndex,
});

const deadLetterCursor = cursorCodec<DeadLetterPosition>(
  z.object({
    deadAt: z.int(),
    generator: z.string(),
    epoch: z.string().regex(/^\d{1,20}$/),
    seq: z.string().regex(/^\d{1,20}$/),
    index: z.int().nonnegative(),
  }),
);
