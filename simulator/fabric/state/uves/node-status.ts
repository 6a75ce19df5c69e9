import { AggType, type UveUpdate } from '../../../../common/proto.js';
import { uve } from './uve.js';

/** The module (process) name each kind of generator reports in its NodeStatus. */
export const VROUTER_MODULE = 'contrail-vrouter-agent';
export const CONTROL_MODULE = 'contrail-control';

export type ProcessState = 'Functional' | 'Non-Functional';

/** NodeStatus with the one process the generator is (TF ProcessStatus). */
export function nodeStatusUve(
  node: { type: 'vrouter' | 'control-node'; name: string; module: string },
  state: ProcessState,
  description: string,
  nowUs: number,
): UveUpdate {
  const process = { module_id: node.module, instance_id: '0', state, description };
  return uve(node.type, node.name, 'NodeStatus', { process_status: [process] }, nowUs, {
    process_status: [AggType.AGG_APPEND, 'module_id'],
  });
}
