import { FlowAction, FlowDirection, FlowRecordSchema } from '../../common/proto.js';
import { forEachRecord } from '../../common/wire/frames.js';
import { WireReader, WireType } from '../../common/wire/reader.js';

/** The FlowRecord fields the flow metrics read, by number. */
const F = {
  vrouter: FlowRecordSchema.field.vrouter.number,
  direction: FlowRecordSchema.field.direction.number,
  action: FlowRecordSchema.field.action.number,
  dropReason: FlowRecordSchema.field.dropReason.number,
  diffBytes: FlowRecordSchema.field.diffBytes.number,
  sampling: FlowRecordSchema.field.sampling.number,
};

/** A group of a batch's flow records with the same labels: how many, and their bytes. */
export interface FlowGroup {
  labels: { vrouter: string; action: string; direction: string; drop_reason: string };
  records: number;
  bytes: number;
}

/** Enum values as lower-case labels (TF's verdicts, as Hubble's); one unknown to us by its number. */
const enumLabel = (names: Record<number, string>, value: number): string =>
  (names[value] ?? String(value)).toLowerCase();

/**
 * The flow records of a FlowBatch grouped by their labels, read on the wire (no record decoded): the
 * bytes of a record are its sampled delta scaled by its sampling factor, as the rollups sum them.
 */
export function flowGroups(buf: Buffer, start: number, end: number): FlowGroup[] {
  const groups = new Map<string, FlowGroup>();
  forEachRecord(buf, start, end, (s, e) => {
    const r = new WireReader(buf, s, e);
    let [vrouter, dropReason, direction, action, diffBytes, sampling] = ['', '', 0, 0, 0, 0];
    while (!r.done()) {
      const tag = r.varint();
      const field = tag >>> 3;
      const varint = (tag & 7) === WireType.VARINT;
      if (field === F.vrouter) vrouter = r.string();
      else if (field === F.dropReason) dropReason = r.string();
      else if (varint && field === F.direction) direction = r.varint();
      else if (varint && field === F.action) action = r.varint();
      else if (varint && field === F.diffBytes) diffBytes = r.varint();
      else if (varint && field === F.sampling) sampling = r.varint();
      else r.skip(tag & 7);
    }
    const key = `${vrouter}\u0000${action}\u0000${direction}\u0000${dropReason}`;
    let group = groups.get(key);
    if (!group) {
      const labels = {
        vrouter,
        action: enumLabel(FlowAction, action),
        direction: enumLabel(FlowDirection, direction),
        drop_reason: dropReason,
      };
      group = { labels, records: 0, bytes: 0 };
      groups.set(key, group);
    }
    group.records++;
    group.bytes += diffBytes * Math.max(sampling, 1);
  });
  return [...groups.values()];
}
