import { fromBinary } from '@bufbuild/protobuf';
import { alarmCommandOf, type AlarmCommand } from '../common/bus/alarm-commands.js';
import type { BusMessage } from '../common/bus/bus.js';
import { decodeBusBatch, encodeBusBatch, type BatchId } from '../common/bus/envelope.js';
import { FabricError } from '../common/errors.js';
import { uvePartOf } from '../common/model/uve-parts.js';
import {
  AlarmCommandSchema,
  AlarmInputSchema,
  BusBatchSchema,
  encode,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  wireTag,
  type BusBatch,
  type BusPayloadKind,
} from '../common/proto.js';
import { forEachRecord, frameRecords } from '../common/wire/frames.js';
import { WireReader } from '../common/wire/reader.js';
import { readUveRecord, uveIdentityOf } from '../common/wire/uve-update.js';
import { putVarint, varintSize } from '../common/wire/writer.js';
import { uveKey, type UveChange } from './uve-state.js';

/**
 * What the engine reads of the bus. Its first stage (router.ts) turns the collector's batches, keyed
 * by generator host, into `alarms` topic messages keyed by UVE (bus.proto AlarmInput): a batch's
 * records of one UVE, or a batch's withdrawals (for every partition); the API's commands are there too
 * (common/bus/alarm-commands.ts). Records are decoded here, at
 * the edge: the engine evaluates JavaScript objects. A message that is not what its topic carries
 * throws, naming the topic and the batch.
 */

export interface Withdrawal {
  generator: string;
  /** On the collector's clock (µs): parts received before it no longer count. */
  time: number;
}

/** One input of the engine, from the `alarms` topic. */
export type AlarmInput =
  | { kind: 'uves'; changes: UveChange[] }
  | { kind: 'withdrawals'; withdrawals: Withdrawal[] }
  | { kind: 'command'; command: AlarmCommand };

/** AlarmInput's fields, one per input. */
const INPUT = {
  uves: wireTag(AlarmInputSchema.field.uves),
  withdrawals: wireTag(AlarmInputSchema.field.withdrawals),
  command: wireTag(AlarmInputSchema.field.command),
};

/**
 * A `uves` batch as `alarms` messages, one per UVE it has records of, keyed by it. Read on the wire:
 * only each record's type and name are decoded (the engine decodes the rest, once), and a batch of
 * one UVE, a change as generators send most, goes on in the bytes it came in (decoding and encoding
 * every batch again was 8% of the pipeline's JavaScript at 1,100 changes/s, bench/alarms.ts).
 */
export function routeUves(message: BusMessage): BusMessage[] {
  const buf = message.value;
  const { header, start, end } = payloadOf(message, 'uves');
  const byUve = new Map<string, [number, number][]>();
  forEachRecord(buf, start, end, (s, e) => {
    const { type, name } = uveIdentityOf(buf, s, e);
    const key = uveKey(type, name);
    const records = byUve.get(key);
    if (records) records.push([s, e]);
    else byUve.set(key, [[s, e]]);
  });
  if (byUve.size === 1) return [...byUve.keys()].map((key) => ({ key, value: alarmInputOf(buf) }));
  return [...byUve].map(([key, records]) => ({
    key,
    value: alarmInputOf(encodeBusBatch(header, 'uves', frameRecords(buf, records))),
  }));
}

/** An AlarmInput whose `uves` is the BusBatch `batch` (its bytes, framed). */
function alarmInputOf(batch: Buffer): Buffer {
  const out = Buffer.allocUnsafe(varintSize(INPUT.uves) + varintSize(batch.length) + batch.length);
  const pos = putVarint(out, putVarint(out, 0, INPUT.uves), batch.length);
  batch.copy(out, pos);
  return out;
}

/** A `generators` batch's withdrawals as one `alarms` message (for every partition); none without any. */
export function routeWithdrawals(message: BusMessage): BusMessage[] {
  const { header, start, end } = payloadOf(message, 'generator_events');
  const payload = message.value.subarray(start, end);
  const records = fromBinary(GeneratorEventBatchSchema, payload).records.filter(
    (event) => event.event === GeneratorEventType.WITHDRAWN,
  );
  if (records.length === 0) return [];
  return [
    {
      key: message.key,
      value: encode(AlarmInputSchema, {
        input: {
          case: 'withdrawals',
          value: {
            generator: header.generator,
            epoch: BigInt(header.epoch),
            seq: BigInt(header.seq),
            receivedAt: BigInt(header.receivedAt),
            payload: { case: 'generatorEvents', value: { records } },
          },
        },
      }),
    },
  ];
}

/** An `alarms` message, read on the wire: UVE records as the engine uses them (common/wire/uve-update.ts). */
export function readAlarmInput(message: BusMessage): AlarmInput {
  const { value, key } = message;
  // A oneof: its last field on the wire is the one set.
  const reader = new WireReader(value);
  let input: { tag: number; bytes: Buffer } | undefined;
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === INPUT.uves || tag === INPUT.withdrawals || tag === INPUT.command) {
      const [start, end] = reader.lengthDelimited();
      input = { tag, bytes: value.subarray(start, end) };
    } else reader.skip(tag & 7);
  }
  switch (input?.tag) {
    case INPUT.uves:
      return { kind: 'uves', changes: uveChangesOf(input.bytes, key) };
    case INPUT.withdrawals:
      return {
        kind: 'withdrawals',
        withdrawals: withdrawalsOf(fromBinary(BusBatchSchema, input.bytes), key),
      };
    case INPUT.command:
      return { kind: 'command', command: alarmCommandOf(fromBinary(AlarmCommandSchema, input.bytes), key) };
    default:
      throw new FabricError('INVALID_ARGUMENT', `alarms message ${key} carries no known input`);
  }
}

function uveChangesOf(batch: Buffer, key: string): UveChange[] {
  const { header, kind, start, end } = decodeBusBatch(batch);
  if (kind !== 'uves') throw notCarrying(header, key, 'uves');
  const changes: UveChange[] = [];
  forEachRecord(batch, start, end, (s, e) => {
    const record = readUveRecord(batch, s, e);
    changes.push({
      type: record.type,
      name: record.name,
      deleted: record.deleted,
      part: uvePartOf(header.generator, record, header.receivedAt),
    });
  });
  return changes;
}

function withdrawalsOf(batch: BusBatch, key: string): Withdrawal[] {
  if (batch.payload.case !== 'generatorEvents') throw notCarrying(batch, key, 'generator events');
  return batch.payload.value.records
    .filter((event) => event.event === GeneratorEventType.WITHDRAWN)
    .map((event) => ({ generator: event.generator, time: Number(event.time) }));
}

const notCarrying = (batch: BatchId | BusBatch, key: string, what: string): FabricError =>
  new FabricError(
    'INVALID_ARGUMENT',
    `alarms message ${key}: batch ${batch.generator}/${batch.epoch}/${batch.seq} carries no ${what}`,
  );

function payloadOf(message: BusMessage, kind: BusPayloadKind) {
  const decoded = decodeBusBatch(message.value);
  const { generator, epoch, seq } = decoded.header;
  if (decoded.kind !== kind) {
    throw new FabricError(
      'INVALID_ARGUMENT',
      `batch ${generator}/${epoch}/${seq} carries ${decoded.kind ?? 'no payload'}, not ${kind}`,
    );
  }
  return decoded;
}
