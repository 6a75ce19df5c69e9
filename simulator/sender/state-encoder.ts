import { messages } from '../../common/proto.js';
import type { StateKind, StateRecordOf } from '../fabric/records.js';

/**
 * An encoded PublishRequest{batch{seq, <kind>{records}}}, by protobufjs: UVEs, routes and interface
 * stats are few; flows, which are not, have their own encoder (flow-encoder.ts).
 */
export function encodeStateBatch<K extends StateKind>(
  kind: K,
  seq: number,
  records: readonly StateRecordOf[K][],
): Buffer {
  const request = messages.PublishRequest.fromObject({ batch: { seq, [kind]: { records } } });
  return Buffer.from(messages.PublishRequest.encode(request).finish());
}
