import { GraphQLError } from 'graphql';
import { FabricError } from '../../common/errors.js';
import { histogram } from '../../common/metrics.js';

const duration = histogram(
  'fabricscope_query_duration_seconds',
  'Time to answer one GraphQL field, by field',
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ['field'],
);

/**
 * Wraps a root resolver: times it, and turns a bad argument into a GraphQL error naming it
 * (BAD_USER_INPUT). Anything else stays an internal error, which yoga masks and logs.
 */
export function resolver<A, R>(
  field: string,
  fn: (args: A) => Promise<R>,
): (parent: unknown, args: A) => Promise<R> {
  return async (_parent, args) => {
    const stop = duration.startTimer({ field });
    try {
      return await fn(args);
    } catch (err) {
      if (err instanceof FabricError && err.code === 'INVALID_ARGUMENT') {
        throw new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT' } });
      }
      throw err;
    } finally {
      stop();
    }
  };
}
