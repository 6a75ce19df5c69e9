import { fromBinary } from '@bufbuild/protobuf';
import { FabricError } from '../errors.js';
import { ruleOperations, type RuleChange, type RuleOperation } from '../model/alarm-rules/changes.js';
import { AlarmCommandSchema, AlarmRuleCommand_Operation, encode } from '../proto.js';
import type { BusMessage } from './bus.js';

/**
 * The `alarms` topic (bus.proto AlarmCommand): what the API asks of the alarm engine. Each message is
 * keyed by the alarm's UVE, so the commands of one alarm keep their order; a rule change by the
 * rule's fq name, so that the changes of one rule are applied in order by one engine.
 */
export interface AlarmAcknowledgement {
  uveType: string;
  uveName: string;
  /** The rule's fq name. */
  alarmType: string;
  /** The token the alarm was shown under. */
  token: string;
}

export type AlarmCommand = ({ kind: 'acknowledge' } & AlarmAcknowledgement) | ({ kind: 'rule' } & RuleChange);

/** The operations as bus.proto numbers them. */
const OPERATIONS: Record<RuleOperation, AlarmRuleCommand_Operation> = {
  create: AlarmRuleCommand_Operation.CREATE,
  replace: AlarmRuleCommand_Operation.REPLACE,
  disable: AlarmRuleCommand_Operation.DISABLE,
  enable: AlarmRuleCommand_Operation.ENABLE,
  delete: AlarmRuleCommand_Operation.DELETE,
};

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

export function ruleChangeMessage(change: RuleChange): BusMessage {
  return {
    key: `rule:${change.name}`,
    value: encode(AlarmCommandSchema, {
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
    }),
  };
}

/** The command of a message; one this version does not know throws, naming it. */
export function readAlarmCommand(message: BusMessage): AlarmCommand {
  const { uveType, uveName, alarmType, command } = fromBinary(AlarmCommandSchema, message.value);
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
    default:
      break;
  }
  throw new FabricError('INVALID_ARGUMENT', `alarm command for ${message.key} carries no known command`);
}
