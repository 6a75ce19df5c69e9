import { fromBinary } from '@bufbuild/protobuf';
import { FabricError } from '../errors.js';
import { AlarmCommandSchema, encode } from '../proto.js';
import type { BusMessage } from './bus.js';

/**
 * The `alarms` topic (bus.proto AlarmCommand): what the API asks of the alarm engine. Each message is
 * keyed by the alarm's UVE, so the commands of one alarm keep their order.
 */
export interface AlarmAcknowledgement {
  uveType: string;
  uveName: string;
  /** The rule's fq name. */
  alarmType: string;
  /** The token the alarm was shown under. */
  token: string;
}

export function acknowledgementMessage(ack: AlarmAcknowledgement): BusMessage {
  return {
    key: `${ack.uveType}:${ack.uveName}`,
    value: encode(AlarmCommandSchema, {
      uveType: ack.uveType,
      uveName: ack.uveName,
      alarmType: ack.alarmType,
      command: { case: 'acknowledgeToken', value: ack.token },
    }),
  };
}

/** The command of a message; one this version does not know throws, naming it. */
export function readAlarmCommand(message: BusMessage): AlarmAcknowledgement {
  const { uveType, uveName, alarmType, command } = fromBinary(AlarmCommandSchema, message.value);
  if (command.case !== 'acknowledgeToken') {
    throw new FabricError('INVALID_ARGUMENT', `alarm command for ${message.key} carries no known command`);
  }
  return { uveType, uveName, alarmType, token: command.value };
}
