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
 * A batch's distinct values of a string field, each decoded once: a batch comes from one vRouter and
 * holds few drop reasons, so a value is mostly the previous record's, recognised by its bytes.
 */
class Interned {
  readonly values: string[] = [];
  private last = -1;
  private lastStart = 0;
  private lastEnd = 0;

  constructor(private readonly buf: Buffer) {}

  index(start: number, end: number): number {
    const { buf } = this;
    if (this.last >= 0 && buf.compare(buf, start, end, this.lastStart, this.lastEnd) === 0) return this.last;
    const value = buf.toString('utf8', start, end);
    let index = this.values.indexOf(value);
    if (index < 0) index = this.values.push(value) - 1;
    [this.last, this.lastStart, this.lastEnd] = [index, start, end];
    return index;
  }
}

/**
 * The flow records of a FlowBatch grouped by their labels, read on the wire (no record decoded): the
 * bytes of a record are its sampled delta scaled by its sampling factor, as the rollups sum them.
 * Groups are keyed by a number (interned strings, enums the collector checked), so that a record
 * costs a walk of its fields and no string.
 */
export function flowGroups(buf: Buffer, start: number, end: number): FlowGroup[] {
  const vrouters = new Interned(buf);
  const reasons = new Interned(buf);
  const groups = new Map<number, FlowGroup & { v: number; d: number }>();
  forEachRecord(buf, start, end, (s, e) => {
    const r = new WireReader(buf, s, e);
    // An absent string is the empty range [0, 0): its end, and its length.
    let [vrouterEnd, vrouterLength, reasonEnd, reasonLength] = [0, 0, 0, 0];
    let [direction, action, diffBytes, sampling] = [0, 0, 0, 0];
    while (!r.done()) {
      const tag = r.varint();
      const field = tag >>> 3;
      const varint = (tag & 7) === WireType.VARINT;
      if (field === F.vrouter) [vrouterLength, vrouterEnd] = [r.lengthPrefixed(), r.pos];
      else if (field === F.dropReason) [reasonLength, reasonEnd] = [r.lengthPrefixed(), r.pos];
      else if (varint && field === F.direction) direction = r.varint();
      else if (varint && field === F.action) action = r.varint();
      else if (varint && field === F.diffBytes) diffBytes = r.varint();
      else if (varint && field === F.sampling) sampling = r.varint();
      else r.skip(tag & 7);
    }
    const v = vrouters.index(vrouterEnd - vrouterLength, vrouterEnd);
    const d = reasons.index(reasonEnd - reasonLength, reasonEnd);
    // At most 20,000 records a batch: 15 bits each for the interned values, 8 for the action, 4 for the direction.
    const key = ((v * 32768 + d) * 256 + (action & 255)) * 16 + (direction & 15);
    let group = groups.get(key);
    if (!group) {
      const labels = {
        vrouter: '',
        action: enumLabel(FlowAction, action),
        direction: enumLabel(FlowDirection, direction),
        drop_reason: '',
      };
      group = { labels, records: 0, bytes: 0, v, d };
      groups.set(key, group);
    }
    group.records++;
    group.bytes += diffBytes * Math.max(sampling, 1);
  });
  return [...groups.values()].map(({ labels, records, bytes, v, d }) => ({
    labels: { ...labels, vrouter: vrouters.values[v]!, drop_reason: reasons.values[d]! },
    records,
    bytes,
  }));
}
