import type { UveUpdate } from '../../../common/proto.js';
import type { FabricCondition } from './condition.js';
import { fabricNode } from './fabric-nodes.js';
import { bgpRouterStateUve } from './uves/control-node.js';
import { nodeStatusUve } from './uves/node-status.js';
import { vmInterfaceUve, vrouterAgentUve, type UveContext } from './uves/vrouter-agent.js';

/** The structs a fault changes, named by what they describe, and rebuilt from the fabric's condition. */
export type StructRef =
  | { struct: 'NodeStatus' | 'BgpRouterState' | 'VrouterAgent'; host: string }
  | { struct: 'UveVMInterfaceAgent'; vmiUuid: string };

/** The struct as the condition has it now, and the generator that publishes it. */
export function rebuild(
  ctx: UveContext,
  c: FabricCondition,
  ref: StructRef,
  nowUs: number,
): { generator: string; uve: UveUpdate } {
  const { topo, index } = ctx;
  switch (ref.struct) {
    case 'NodeStatus': {
      const node = fabricNode(topo, ref.host);
      return { generator: node.generator, uve: nodeStatusUve(node, c, nowUs) };
    }
    case 'BgpRouterState': {
      const control = topo.controlNodes.find((n) => n.name === ref.host);
      if (!control) throw new Error(`no control node "${ref.host}"`);
      return { generator: control.generator, uve: bgpRouterStateUve(topo, control, c, nowUs) };
    }
    case 'VrouterAgent': {
      const vr = index.vrouter(ref.host);
      return { generator: vr.generator, uve: vrouterAgentUve(ctx, vr, c, nowUs) };
    }
    case 'UveVMInterfaceAgent': {
      const w = topo.workloads.find((x) => x.vmiUuid === ref.vmiUuid);
      if (!w) throw new Error(`no interface ${ref.vmiUuid}`);
      return { generator: index.vrouter(w.vrouter).generator, uve: vmInterfaceUve(ctx, w, c, nowUs) };
    }
  }
}
