import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import { clientFault, errorStatus } from '../../common/errors.js';
import { histogram } from '../../common/metrics.js';
import type { MutationResolvers, QueryResolvers } from '../generated/graphql.js';

const duration = histogram(
  'fabricscope_query_duration_seconds',
  'Time to answer one GraphQL field, by field',
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ['field'],
);

/** A root field (query or mutation), its arguments (defaults applied) and its answer, as codegen types them. */
type RootResolvers = QueryResolvers & MutationResolvers;
type Field = keyof RootResolvers;
type Root<F extends Field> = NonNullable<RootResolvers[F]>;
type Args<F extends Field> = Parameters<Root<F>>[1];
type Answer<F extends Field> = Awaited<ReturnType<Root<F>>>;

/**
 * Wraps a root resolver: times it, and turns an error the client may be told (a bad argument, …)
 * into a GraphQL error with its code from the one error map (common/errors.ts). Anything else stays
 * an internal error, which yoga masks and logs.
 */
export function resolver<F extends Field>(
  field: F,
  fn: (args: Args<F>, info: GraphQLResolveInfo) => Promise<Answer<F>>,
): (parent: unknown, args: Args<F>, context: unknown, info: GraphQLResolveInfo) => Promise<Answer<F>> {
  return (_parent, args, _context, info) => answered(field, () => fn(args, info));
}

/** Wraps the resolver of a field below the root (`coordinate`: Type.field) as resolver does a root one. */
export function fieldResolver<P, C, T>(
  coordinate: string,
  fn: (parent: P, context: C) => Promise<T>,
): (parent: P, args: unknown, context: C) => Promise<T> {
  return (parent, _args, context) => answered(coordinate, () => fn(parent, context));
}

function answered<T>(field: string, answer: () => Promise<T>): Promise<T> {
  const stop = duration.startTimer({ field });
  return answer()
    .catch((err: unknown) => {
      throw toGraphqlError(err);
    })
    .finally(stop);
}

/** An error the client may be told as a GraphQL error with its code; anything else as it is (masked). */
export function toGraphqlError(err: unknown): unknown {
  const fault = clientFault(err);
  if (!fault) return err;
  return new GraphQLError(fault.message, { extensions: { code: errorStatus[fault.code].graphql } });
}
