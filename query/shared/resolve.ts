import { GraphQLError } from 'graphql';
import { FabricError } from '../../common/errors.js';
import { histogram } from '../../common/metrics.js';
import type { QueryResolvers } from '../generated/graphql.js';

const duration = histogram(
  'fabricscope_query_duration_seconds',
  'Time to answer one GraphQL field, by field',
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ['field'],
);

/** A root field, its arguments (defaults applied) and its answer, as codegen types them from the SDL. */
type Field = keyof QueryResolvers;
type Root<F extends Field> = NonNullable<QueryResolvers[F]>;
type Args<F extends Field> = Parameters<Root<F>>[1];
type Answer<F extends Field> = Awaited<ReturnType<Root<F>>>;

/**
 * Wraps a root resolver: times it, and turns a bad argument into a GraphQL error naming it
 * (BAD_USER_INPUT). Anything else stays an internal error, which yoga masks and logs.
 */
export function resolver<F extends Field>(
  field: F,
  fn: (args: Args<F>) => Promise<Answer<F>>,
): (parent: unknown, args: Args<F>) => Promise<Answer<F>> {
  return (_parent, args) => {
    const stop = duration.startTimer({ field });
    return fn(args)
      .catch((err: unknown) => {
        if (err instanceof FabricError && err.code === 'INVALID_ARGUMENT') {
          throw new GraphQLError(err.message, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        throw err;
      })
      .finally(stop);
  };
}
