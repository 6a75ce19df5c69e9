import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { clientFault, errorStatus, FabricError, invalid } from '../../../common/errors.js';

describe('one error map for gRPC and GraphQL', () => {
  it('gives each client-facing code its gRPC status and GraphQL code', () => {
    assert.deepEqual(errorStatus.INVALID_ARGUMENT, {
      grpc: status.INVALID_ARGUMENT,
      graphql: 'BAD_USER_INPUT',
    });
    assert.deepEqual(errorStatus.UNAUTHENTICATED, {
      grpc: status.UNAUTHENTICATED,
      graphql: 'UNAUTHENTICATED',
    });
    assert.equal(errorStatus.FAILED_PRECONDITION.grpc, status.FAILED_PRECONDITION);
  });

  it('tells the client its own faults, and nothing of a bug or a failure of ours', () => {
    assert.equal(clientFault(invalid('first: 0 is not between 1 and 1000'))?.code, 'INVALID_ARGUMENT');
    assert.equal(clientFault(new TypeError("Cannot read properties of undefined (reading 'x')")), undefined);
    assert.equal(clientFault(new FabricError('INTERNAL', 'chdb said no')), undefined);
    assert.equal(clientFault(new FabricError('CONFIG', 'bad --clickhouse-url')), undefined);
  });
});
