import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggType, AttributeAggregationSchema, encode, UveUpdateSchema } from '../../../../common/proto.js';
import { putVarint } from '../../../../common/wire/writer.js';
import { readUveRecord, uveIdentityOf } from '../../../../common/wire/uve-update.js';

const record = {
  type: 'vrouter',
  name: 'compute-1',
  structType: 'NodeStatus',
  attributesJson: '{"process_status":[{"state":"Functional"}]}',
  aggregation: {
    process_status: { agg: AggType.AGG_APPEND, listKey: 'module_id' },
  },
  deleted: true,
  timestamp: 1_700_000_000_000_000n,
};

/** A length-delimited field (number, bytes) as protobuf writes it. */
function field(number: number, bytes: Buffer): Buffer {
  const head = Buffer.alloc(10);
  const end = putVarint(head, putVarint(head, 0, (number << 3) | 2), bytes.length);
  return Buffer.concat([head.subarray(0, end), bytes]);
}

describe('UveUpdate read on the wire', () => {
  it('reads what the decoder reads, an attribute named __proto__ as an attribute', () => {
    // protobuf-es drops a map key __proto__: its entry is written by hand.
    const entry = Buffer.concat([
      field(1, Buffer.from('__proto__')),
      field(2, encode(AttributeAggregationSchema, { agg: AggType.AGG_SUM })),
    ]);
    const bytes = Buffer.concat([encode(UveUpdateSchema, record), field(5, entry)]);
    const read = readUveRecord(bytes, 0, bytes.length);
    assert.deepEqual(
      { ...read, aggregation: { ...read.aggregation } },
      {
        type: 'vrouter',
        name: 'compute-1',
        structType: 'NodeStatus',
        attributesJson: record.attributesJson,
        aggregation: {
          process_status: { agg: AggType.AGG_APPEND, listKey: 'module_id' },
          ['__proto__']: { agg: AggType.AGG_SUM, listKey: '' },
        },
        deleted: true,
      },
    );
    assert.equal(Object.getPrototypeOf(read.aggregation), Object.prototype);
    assert.deepEqual(uveIdentityOf(bytes, 0, bytes.length), {
      type: 'vrouter',
      name: 'compute-1',
      structType: 'NodeStatus',
    });
  });

  it('keeps the last of a field given twice, skips fields it does not know, reads within its range', () => {
    const bytes = Buffer.concat([
      Buffer.from('padding'),
      encode(UveUpdateSchema, { type: 'vrouter', name: 'old' }),
      field(99, Buffer.from('a field of a later version')),
      encode(UveUpdateSchema, { name: 'compute-2', structType: 'VrouterAgent', attributesJson: '{}' }),
    ]);
    const read = readUveRecord(bytes, 7, bytes.length);
    assert.deepEqual(read, {
      type: 'vrouter',
      name: 'compute-2',
      structType: 'VrouterAgent',
      attributesJson: '{}',
      aggregation: {},
      deleted: false,
    });
  });

  it('refuses a record cut short', () => {
    const bytes = encode(UveUpdateSchema, record);
    assert.throws(() => readUveRecord(bytes, 0, bytes.length - 3), /past the end|truncated/);
  });
});
