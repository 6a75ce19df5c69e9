import { fromBinary } from '@bufbuild/protobuf';
import { alarmCommandOf, type AlarmCommand } from '../common/bus/alarm-commands.js';
import type { BusMessage } from '../common/bus/bus.js';
import { decodeBusBatch } from '../common/bus/envelope.js';
import { FabricError } from '../common/errors.js';
import { uvePartOf } from '../common/model/uve-parts.js';
import {
  AlarmInputSchema,
  encode,
  GeneratorEventBatchSchema,
  GeneratorEventType,
  UveBatchSchema,
  type BusBatch,
  type BusPayloadKind,
  type UveUpdate,
} from '../common/proto.js';
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

/** A `uves` batch as `alarms` messages, one per UVE it has records of, keyed by it. */
export function routeUves(message: BusMessage): BusMessage[] {
  const { header, payload } = payloadOf(message, 'uves');
  const byUve = new Map<string, UveUpdate[]>();
  for (const record of fromBinary(UveBatchSchema, payload).records) {
    const key = uveKey(record.type, record.name);
    const records = byUve.get(key);
    if (records) records.push(record);
    else byUve.set(key, [record]);
  }
  return [...byUve].map(([key, records]) => ({
    key,
    value: encode(AlarmInputSchema, {
      input: { case: 'uves', value: { ...header, payload: { case: 'uves', value: { records } } } },
    }),
  }));
}

/** A `generators` batch's withdrawals as one `alarms` message (for every partition); none without any. */
export function routeWithdrawals(message: BusMessage): BusMessage[] {
  const { header, payload } = payloadOf(message, 'generator_events');
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
          value: { ...header, payload: { case: 'generatorEvents', value: { records } } },
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
  const { generator, epoch, seq, receivedAt } = decoded.header;
  if (decoded.kind !== kind) {
    throw new FabricError(
      'INVALID_ARGUMENT',
      `batch ${generator}/${epoch}/${seq} carries ${decoded.kind ?? 'no payload'}, not ${kind}`,
    );
  }
  return {
    header: { generator, epoch: BigInt(epoch), seq: BigInt(seq), receivedAt: BigInt(receivedAt) },
    payload: message.value.subarray(decoded.start, decoded.end),
  };
}
