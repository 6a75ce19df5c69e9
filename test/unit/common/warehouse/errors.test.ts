import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FabricError } from '../../../../common/errors.js';
import { classifyWarehouseError, warehouseErrorCode } from '../../../../common/warehouse/errors.js';

/** As the drivers throw them: chdb's message wrapped by ours, the client's error as the cause. */
const chdb = (text: string) => new FabricError('INTERNAL', `warehouse: ${text}`, { cause: new Error(text) });
const server = (code: string, message: string) =>
  new FabricError('INTERNAL', `ClickHouse at http://ch:8123: ${message}`, {
    cause: Object.assign(new Error(message), { code, type: 'X' }),
  });

describe('warehouse error classification', () => {
  it('reads the code from chdb messages and from the client error a cause carries', () => {
    assert.equal(warehouseErrorCode(chdb('Code: 436. DB::Exception: Could not convert')), 436);
    assert.equal(warehouseErrorCode(server('27', 'Cannot parse input')), 27);
    assert.equal(warehouseErrorCode(new Error('socket hang up')), undefined);
  });

  it('calls refusals of the input permanent', () => {
    for (const err of [
      chdb('Code: 436. DB::Exception: Could not convert value (PROTOBUF_BAD_CAST)'),
      chdb('Code: 6. DB::Exception: Cannot parse string (CANNOT_PARSE_TEXT)'),
      server('321', 'Value out of range'),
      server('53', 'Type mismatch'),
      chdb('Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100).'),
    ])
      assert.equal(classifyWarehouseError(err).permanent, true, err.message);
  });

  it('keeps everything else transient: the delivery is retried', () => {
    for (const err of [
      chdb('Code: 241. DB::Exception: Memory limit (total) exceeded'),
      chdb('Code: 252. DB::Exception: Too many parts (3001). Merges are processing significantly slower'),
      server('202', 'Too many simultaneous queries'),
      server('159', 'Timeout exceeded'),
      server('60', 'Table default.flows does not exist'),
      server('62', 'Syntax error'),
      new FabricError('UNAVAILABLE', 'ClickHouse at http://ch:8123 is unreachable: ECONNREFUSED'),
    ])
      assert.equal(classifyWarehouseError(err).permanent, false, err.message);
  });
});
