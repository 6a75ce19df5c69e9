import { encodeFields, FlowRecordSchema } from '../../common/proto.js';

/** A FlowRecord's bytes with the fields the collector requires and no more: a batch's good record. */
export const minimalFlowRecord = encodeFields(FlowRecordSchema, {
  flow_uuid: Buffer.alloc(16, 1),
  vrouter: 'compute-1',
  source_ip: Buffer.from([10, 0, 0, 1]),
  dest_ip: Buffer.from([10, 0, 0, 2]),
  action: 1,
});
