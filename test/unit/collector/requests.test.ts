import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readHello, readRequest } from '../../../collector/requests.js';
import { clientFault } from '../../../common/errors.js';

describe('requests read on the wire', () => {
  it('reports malformed requests from generators as their fault, naming what is wrong', () => {
    const fault = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return clientFault(err)?.message;
      }
      return 'no error';
    };
    assert.match(fault(() => readRequest(Buffer.from([0x18, 0x01]))) ?? '', /neither hello nor batch/);
    assert.match(fault(() => readHello(Buffer.from([0x0a, 0x05, 0xff]))) ?? '', /malformed hello/);
  });
});
