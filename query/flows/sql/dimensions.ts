import { printedAddress } from '../../shared/addresses.js';

/**
 * The flow dimensions a query may filter or group by, and the column each reads. Only names from
 * this table ever become SQL; `rollup` marks those the flows_1m / flows_1h tables keep.
 */
export interface Dimension {
  column: string;
  rollup: boolean;
  /** How the value is printed in groups and series. */
  output: string;
}

const plain = (column: string, rollup: boolean): Dimension => ({
  column,
  rollup,
  output: `toString(${column})`,
});
const address = (column: string): Dimension => ({ column, rollup: false, output: printedAddress(column) });

export const dimensions = {
  VROUTER: plain('vrouter', true),
  SOURCE_VN: plain('source_vn', true),
  DEST_VN: plain('dest_vn', true),
  SOURCE_IP: address('source_ip'),
  DEST_IP: address('dest_ip'),
  SOURCE_PORT: plain('sport', false),
  DEST_PORT: plain('dport', true),
  PROTOCOL: plain('protocol', true),
  ACTION: plain('action', true),
  DIRECTION: plain('direction', true),
  DROP_REASON: plain('drop_reason', true),
  SOURCE_NAMESPACE: plain('source_namespace', true),
  DEST_NAMESPACE: plain('dest_namespace', true),
  SOURCE_WORKLOAD: plain('source_workload', false),
  DEST_WORKLOAD: plain('dest_workload', false),
  SOURCE_LABELS: plain('source_labels', false),
  DEST_LABELS: plain('dest_labels', false),
  UNDERLAY_PROTO: plain('underlay_proto', true),
  SG_RULE_UUID: plain('sg_rule_uuid', false),
  NW_ACE_UUID: plain('nw_ace_uuid', false),
  VROUTER_IP: address('vrouter_ip'),
  OTHER_VROUTER_IP: address('other_vrouter_ip'),
} as const satisfies Record<string, Dimension>;

export type DimensionName = keyof typeof dimensions;
