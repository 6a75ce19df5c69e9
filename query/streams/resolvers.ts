import type { FlowNode } from '../flows/resolvers.js';
import type {
  SubscriptionFlowsArgs,
  SubscriptionResolvers,
  SubscriptionUveChangesArgs,
} from '../generated/graphql.js';
import { toGraphqlError } from '../shared/resolve.js';
import type { GeneratorEventNode, UveChangeEvent } from './bus-sources.js';
import { structuredCondition } from '../../common/sql/flows/filter.js';
import { parseFlowFilter } from '../../common/sql/flows/language/parse.js';
import { flowPredicate } from './flow-predicate.js';
import { globTest } from './glob.js';
import type { StreamName, Streams } from './hub.js';
import { CutOff } from './queue.js';

/**
 * A subscription field: the events of its stream that pass the test its arguments make (made when
 * subscribing: a bad argument refuses the subscription, named), each resolved as itself, and a
 * cut-off resolved as the error that says why the stream ended.
 */
export function stream<T, A>(streams: Streams, name: StreamName, test: (args: A) => (event: T) => boolean) {
  return {
    subscribe: async (_parent: unknown, args: A) => {
      try {
        return await streams.subscribe<T>(name, test(args));
      } catch (err) {
        throw toGraphqlError(err);
      }
    },
    resolve: (event: T | CutOff) => {
      if (event instanceof CutOff) throw event.toError();
      return event;
    },
  };
}

export function streamResolvers(streams: Streams): SubscriptionResolvers {
  return {
    // The flows query's tree: filter OR'ed, exclude removed, and the filter language's where.
    flows: stream<FlowNode, SubscriptionFlowsArgs>(streams, 'flows', (args) => {
      const structured = structuredCondition(args.filter, args.exclude);
      return flowPredicate(args.where ? { and: [structured, parseFlowFilter(args.where)] } : structured);
    }),
    uveChanges: stream<UveChangeEvent, SubscriptionUveChangesArgs>(streams, 'uveChanges', (args) => {
      const matches = globTest(args.match ?? '*');
      return (e) => (!args.type || e.type === args.type) && matches(e.name);
    }),
    generatorEvents: stream<GeneratorEventNode, object>(streams, 'generatorEvents', () => () => true),
  } as SubscriptionResolvers;
}
