import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { FabricError } from '../errors.js';
import { ruleOperations, type RuleChange, type RuleOperation } from '../model/alarm-rules/changes.js';
import { receiverOperations, type ReceiverChange, type ReceiverOperation } from '../notify/changes.js';
import {
  AlarmCommandSchema,
  AlarmInputSchema,
  AlarmReceiverCommand_Operation,
  AlarmRuleCommand_Operation,
  encode,
  type AlarmCommand as AlarmCommandMessage,
} from '../proto.js';
import type { BusMessage } from './bus.js';

/**
 * The API's commands to the alarm engine, on the `alarms` topic (bus.proto AlarmInput.command). An
 * acknowledgement is keyed by the alarm's UVE, as the engine's UVE changes are: the commands of one
 * alarm reach the engine instance that owns its UVE, in order with its changes. A rule change is
 * keyed rule:<fq name> and sent to every partition (`Bus.broadcast`): every instance runs the rules in
 * force, so every one of them must hear of it. A receiver change likewise, keyed receiver:<name>: every
 * instance sends notifications.
 */
export interface AlarmAcknowledgement {
  uveType: string;
  uveName: string;
  /** The rule's fq name. */
  alarmType: string;
  /** The token the alarm was shown under. */
  token: string;
}

export type AlarmCommand =
  | ({ kind: 'acknowledge' } & AlarmAcknowledgement)
  | ({ kind: 'rule' } & RuleChange)
  | ({ kind: 'receiver' } & ReceiverChange);

/** The operations as bus.proto numbers them. */
const OPERATIONS: Record<RuleOperation, AlarmRuleCommand_Operation> = {
  create: AlarmRuleCommand_Operation.CREATE,
  replace: AlarmRuleCommand_Operation.REPLACE,
  disable: AlarmRuleCommand_Operation.DISABLE,
  enable: AlarmRuleCommand_Operation.ENABLE,
  delete: AlarmRuleCommand_Operation.DELETE,
};

const RECEIVER_OPERATIONS: Record<ReceiverOperation, AlarmReceiverCommand_Operation> = {
  create: AlarmReceiverCommand_Operation.CREATE,
  replace: AlarmReceiverCommand_Operation.REPLACE,
  disable: AlarmReceiverCommand_Operation.DISABLE,
  enable: AlarmReceiverCommand_Operation.ENABLE,
  delete: AlarmReceiverCommand_Operation.DELETE,
};

export function acknowledgementMessage(ack: AlarmAcknowledgement): BusMessage {
  return commandMessage(`${ack.uveType}:${ack.uveName}`, {
    uveType: ack.uveType,
    uveName: ack.uveName,
    alarmType: ack.alarmType,
    command: { case: 'acknowledgeToken', value: ack.token },
  });
}

/** A rule change's message: the API broadcasts it (every partition). */
export function ruleChangeMessage(change: RuleChange): BusMessage {
  return commandMessage(`rule:${change.name}`, {
    alarmType: change.name,
    command: {
      case: 'rule',
      value: {
        operation: OPERATIONS[change.operation],
        rule: change.rule,
        expectedVersion: BigInt(change.expectedVersion),
        author: change.author,
      },
    },
  });
}

/** A receiver change's message: the API broadcasts it (every partition). Its secret is in it. */
export function receiverChangeMessage(change: ReceiverChange): BusMessage {
  return commandMessage(`receiver:${change.name}`, {
    command: {
      case: 'receiver',
      value: {
        operation: RECEIVER_OPERATIONS[change.operation],
        name: change.name,
        receiver: change.receiver,
        secret: change.secret,
        expectedVersion: BigInt(change.expectedVersion),
        author: change.author,
      },
    },
  });
}

function commandMessage(key: string, command: MessageInitShape<typeof AlarmCommandSchema>): BusMessage {
  return { key, value: encode(AlarmInputSchema, { input: { case: 'command', value: command } }) };
}

/** An AlarmInput's command; one this version does not know throws, naming its message's key. */
export function alarmCommandOf(input: AlarmCommandMessage, key: string): AlarmCommand {
  const { uveType, uveName, alarmType, command } = input;
  switch (command.case) {
    case 'acknowledgeToken':
      return { kind: 'acknowledge', uveType, uveName, alarmType, token: command.value };
    case 'rule': {
      const { operation, rule, expectedVersion, author } = command.value;
      const known = ruleOperations.find((name) => OPERATIONS[name] === operation);
      if (!known) break;
      return {
        kind: 'rule',
        operation: known,
        name: alarmType,
        rule,
        expectedVersion: Number(expectedVersion),
        author,
      };
    }
    case 'receiver': {
      const { operation, name, receiver, secret, expectedVersion, author } = command.value;
      const known = receiverOperations.find((op) => RECEIVER_OPERATIONS[op] === operation);
      if (!known) break;
      return {
        kind: 'receiver',
        operation: known,
        name,
        receiver,
        secret,
        expectedVersion: Number(expectedVersion),
        author,
      };
    }
    default:
      break;
  }
  throw new FabricError('INVALID_ARGUMENT', `alarm command for ${key} carries no known command`);
}

/** The command of an `alarms` message (bus.proto AlarmInput.command). */
export function readAlarmCommand(message: BusMessage): AlarmCommand {
  const { input } = fromBinary(AlarmInputSchema, message.value);
  if (input.case !== 'command') {
    throw new FabricError('INVALID_ARGUMENT', `alarms message ${message.key} carries no command`);
  }
  return alarmCommandOf(input.value, message.key);
}
