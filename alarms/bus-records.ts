import { fromBinary } from '@bufbuild/protobuf';
import { alarmCommandOf, type AlarmCommand } from '../common/bus/alarm-commands.js';
import type { BusMessage } from '../common/bus/bus.js';
import { decodeBusBatch, encodeBusBatch } from '../common/bus/envelope.js';
import { FabricError } from '../common/errors.js';
import { uvePartOf } from '../common/model/uve-parts.js';
import {
  AlarmInputSchema,
  encode,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveUpdateSchema,
  wireTag,
  type BusBatch,
  type BusPayloadKind,
} from '../common/proto.js';
import { forEachRecord, frameRecords } from '../common/wire/frames.js';
import { WireReader } from '../common/wire/reader.js';
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
    const key = uveKeyOf(buf, s, e);
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

const UVE_TYPE = wireTag(UveUpdateSchema.field.type);
const UVE_NAME = wireTag(UveUpdateSchema.field.name);

/** The UVE key of a record (UveUpdate) at buf[start, end); as decoding it would, the last value of a field counts. */
function uveKeyOf(buf: Buffer, start: number, end: number): string {
  const reader = new WireReader(buf, start, end);
  let [type, name] = ['', ''];
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === UVE_TYPE) type = reader.string();
    else if (tag === UVE_NAME) name = reader.string();
    else reader.skip(tag & 7);
  }
  return uveKey(type, name);
}

const ALARM_INPUT_UVES = wireTag(AlarmInputSchema.field.uves);

/** An AlarmInput whose `uves` is the BusBatch `batch` (its bytes, framed). */
function alarmInputOf(batch: Buffer): Buffer {
  const out = Buffer.allocUnsafe(varintSize(ALARM_INPUT_UVES) + varintSize(batch.length) + batch.length);
  const pos = putVarint(out, putVarint(out, 0, ALARM_INPUT_UVES), batch.length);
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

export function readAlarmInput(message: BusMessage): AlarmInput {
  const { input } = fromBinary(AlarmInputSchema, message.value);
  switch (input.case) {
    case 'uves':
      return { kind: 'uves', changes: uveChangesOf(input.value, message.key) };
    case 'withdrawals':
      return { kind: 'withdrawals', withdrawals: withdrawalsOf(input.value, message.key) };
    case 'command':
      return { kind: 'command', command: alarmCommandOf(input.value, message.key) };
    default:
      throw new FabricError('INVALID_ARGUMENT', `alarms message ${message.key} carries no known input`);
  }
}

function uveChangesOf(batch: BusBatch, key: string): UveChange[] {
  if (batch.payload.case !== 'uves') throw notCarrying(batch, key, 'uves');
  const receivedAt = Number(batch.receivedAt);
  return batch.payload.value.records.map((record) => ({
    type: record.type,
    name: record.name,
    deleted: record.deleted,
    part: uvePartOf(batch.generator, record, receivedAt),
  }));
}

function withdrawalsOf(batch: BusBatch, key: string): Withdrawal[] {
  if (batch.payload.case !== 'generatorEvents') throw notCarrying(batch, key, 'generator events');
  return batch.payload.value.records
    .filter((event) => event.event === GeneratorEventType.WITHDRAWN)
    .map((event) => ({ generator: event.generator, time: Number(event.time) }));
}

const notCarrying = (batch: BusBatch, key: string, what: string): FabricError =>
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
