/** Typed errors carry a code that the API and gRPC map to clear messages and status codes. */
export type ErrorCode =
  'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'UNAVAILABLE' | 'CONFIG' | 'INTERNAL';

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

export const invalid = (message: string): FabricError => new FabricError('INVALID_ARGUMENT', message);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
