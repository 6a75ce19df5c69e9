import { AlarmInputSchema, encode } from '../proto.js';
import type { BusMessage } from './bus.js';

/**
 * The API's commands to the alarm engine, on the `alarms` topic (bus.proto AlarmInput.command). Each
 * message is keyed by the alarm's UVE, as the engine's UVE changes are: the commands of one alarm
 * reach the engine instance that owns its UVE, in order with its changes.
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
    value: encode(AlarmInputSchema, {
      input: {
        case: 'command',
        value: {
          uveType: ack.uveType,
          uveName: ack.uveName,
          alarmType: ack.alarmType,
          command: { case: 'acknowledgeToken', value: ack.token },
        },
      },
    }),
  };
}
