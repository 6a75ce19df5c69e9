import type { BusMessage } from '../../../common/bus/bus.js';
import { decodeBusBatch, encodeBusBatch } from '../../../common/bus/envelope.js';
import { protoField } from '../../../common/proto.js';
import { forEachRecord, frameRecords } from '../../../common/wire/frames.js';
import { busMessage } from '../../../harness/bus-records.js';
import { rawVarint } from '../../support/raw-protobuf.js';

/**
 * A flow batch whose records at `poisoned` carry `sampling` (uint32) = 2^40: well formed on the
 * wire, refused by the engine (PROTOBUF_BAD_CAST) when it reads it into the UInt32 column.
 */
export function poisonedFlowBatch(
  header: { generator: string; epoch: number; seq: number; receivedAt: number },
  records: object[],
  poisoned: readonly number[],
): BusMessage {
  const plain = busMessage('flows', header, records);
  const decoded = decodeBusBatch(plain.value);
  const ranges: [number, number][] = [];
  forEachRecord(plain.value, decoded.start, decoded.end, (s, e) => ranges.push([s, e]));
  const field = protoField('FlowRecord', 'sampling')!.number;
  const poison = rawVarint(field, 2n ** 40n);
  const bytes = ranges.map(([s, e], i) =>
    poisoned.includes(i) ? Buffer.concat([plain.value.subarray(s, e), poison]) : plain.value.subarray(s, e),
  );
  const joined = Buffer.concat(bytes);
  let at = 0;
  const payload = frameRecords(
    joined,
    bytes.map((b) => [at, (at += b.length)] as [number, number]),
  );
  return { key: plain.key, value: encodeBusBatch(header, 'flows', payload) };
}
