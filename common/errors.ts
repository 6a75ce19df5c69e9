import { status } from '@grpc/grpc-js';

/** Typed errors carry a code; one map says how each code reaches a gRPC or a GraphQL client. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'FAILED_PRECONDITION'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'CONFIG'
  | 'INTERNAL';

export class FabricError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FabricError';
  }
}

/** Each code's gRPC status and GraphQL `extensions.code`. */
export const errorStatus: Record<ErrorCode, { grpc: status; graphql: string }> = {
  INVALID_ARGUMENT: { grpc: status.INVALID_ARGUMENT, graphql: 'BAD_USER_INPUT' },
  UNAUTHENTICATED: { grpc: status.UNAUTHENTICATED, graphql: 'UNAUTHENTICATED' },
  PERMISSION_DENIED: { grpc: status.PERMISSION_DENIED, graphql: 'FORBIDDEN' },
  FAILED_PRECONDITION: { grpc: status.FAILED_PRECONDITION, graphql: 'FAILED_PRECONDITION' },
  NOT_FOUND: { grpc: status.NOT_FOUND, graphql: 'NOT_FOUND' },
  UNAVAILABLE: { grpc: status.UNAVAILABLE, graphql: 'UNAVAILABLE' },
  /** A request over a limit: too many aliases, too deep, too costly, a read over the warehouse's limits. */
  RESOURCE_EXHAUSTED: { grpc: status.RESOURCE_EXHAUSTED, graphql: 'QUERY_TOO_EXPENSIVE' },
  CONFIG: { grpc: status.INTERNAL, graphql: 'INTERNAL_SERVER_ERROR' },
  INTERNAL: { grpc: status.INTERNAL, graphql: 'INTERNAL_SERVER_ERROR' },
};

/**
 * The error a client may be told, or undefined for anything else: a bug or a failure of ours is
 * INTERNAL, logged by the service and never shown to the client as its own fault.
 */
export const clientFault = (err: unknown): FabricError | undefined =>
  err instanceof FabricError && errorStatus[err.code].grpc !== status.INTERNAL ? err : undefined;

export const invalid = (message: string): FabricError => new FabricError('INVALID_ARGUMENT', message);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
