import { GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { UpgradeListener } from '../../common/http.js';

/** What an operation runs with: yoga's enveloped execute and subscribe, so its plugins apply. */
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/**
 * GraphQL over WebSocket (the graphql-ws protocol) beside yoga's HTTP and SSE: every operation runs
 * through yoga's envelop, so the request limits, the context and the error masking are the same on
 * both transports. graphql-ws writes the next event only once the last one is flushed to the socket,
 * so a slow client's events wait in its stream queue, which cuts it off at its bound.
 */
export function graphqlWebSocket<C extends object>(
  yoga: YogaServerInstance<object, C>,
): { upgrade: UpgradeListener; close(): Promise<void> } {
  const server = new WebSocketServer({ noServer: true });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          throw err;
        }
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    server,
  );
  return {
    upgrade: (req, socket, head) =>
      server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req)),
    close: async () => {
      for (const client of server.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
