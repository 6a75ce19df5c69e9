import {
  BatchSchema,
  encode,
  FlowAction,
  FlowBatchSchema,
  FlowRecordSchema,
  PublishRequestSchema,
  wireTag,
} from '../../common/proto.js';
import { putVarint, varintSize } from '../../common/wire/writer.js';
import type { FlowTemplate, StaticFlowFields } from '../fabric/flows/templates.js';

/**
 * Encodes flow batches as ready-to-send `PublishRequest{batch{seq, flows}}` bytes at high rate.
 * Each template's constant fields are encoded once with the generated FlowRecord schema, followed by
 * the constant parts of the flow and reverse uuids and the ephemeral port's tag: the template's head.
 * Per record the head is copied, the flow's generation written into both uuids, and a short tail
 * written by hand (ephemeral port, setup time, cumulative counters, timestamp), with the tags the
 * contract's descriptors give. Protobuf allows fields in any order, so "head + tail" is a valid record.
 */

/**
 * Per FlowAction the simulator decides (PASS, DENY, DROP): records, scaled bytes and scaled packets
 * at [action*3 + k].
 */
export type ActionTotals = Float64Array;
export const ACTION_SLOTS = FlowAction.DROP + 1;
export const newTotals = (): ActionTotals => new Float64Array(ACTION_SLOTS * 3);

export interface EncodedBatch {
  seq: number;
  /** An encoded PublishRequest; kept as is for resends, so a resend is byte-identical. */
  payload: Buffer;
  /** The records alone, as a FlowBatch's bytes (a view into payload). */
  flows: Buffer;
  records: number;
  /** Template index of each record, to subtract the records an ack rejects. */
  templates: Uint32Array;
  /** Indexes of the records made malformed on purpose (invalidEvery). */
  invalid: number[];
  totals: ActionTotals;
}

export interface EncoderOptions {
  /** Mixed into every flow uuid so that separate runs never reuse one (e.g. the session epoch). */
  salt?: number;
  /** Make every n-th record malformed (a 15-byte flow_uuid), to exercise rejections. */
  invalidEvery?: number;
  /** How long a flow lives before the client reconnects with a new port (and TF a new uuid). */
  flowLifetimeMs?: number;
  /** Microseconds since the epoch; tests pin it. */
  nowUs?: () => number;
}

const HEADROOM = 32; // room for the PublishRequest/Batch/FlowBatch headers written in front

/** The wire tags of what is written by hand: every record's tail, and the headers in front of the records. */
const field = FlowRecordSchema.field;
const TAG = {
  flowUuid: wireTag(field.flowUuid),
  reverseUuid: wireTag(field.reverseUuid),
  sport: wireTag(field.sport),
  dport: wireTag(field.dport),
  setupTime: wireTag(field.setupTime),
  bytes: wireTag(field.bytes),
  packets: wireTag(field.packets),
  timestamp: wireTag(field.timestamp),
  records: wireTag(FlowBatchSchema.field.records),
  batch: wireTag(PublishRequestSchema.field.batch),
  seq: wireTag(BatchSchema.field.seq),
  flows: wireTag(BatchSchema.field.flows),
};
type Tagged = keyof typeof TAG;
/** Their sizes: a tag takes two bytes from field 16 on. */
const SIZE = {} as Record<Tagged, number>;
for (const name of Object.keys(TAG) as Tagged[]) SIZE[name] = varintSize(TAG[name]);

/** The tags of the four uint64 fields that end every record. */
const TAIL_TAGS = SIZE.setupTime + SIZE.bytes + SIZE.packets + SIZE.timestamp;
/** A record's own tag and length (a record stays below 2^21 bytes). */
const FRAME_MAX = SIZE.records + 3;

/** A template's constant fields as a FlowRecord's bytes (defaults are left out, as always). */
export function encodeStaticFields(fields: StaticFlowFields): Uint8Array {
  return encode(FlowRecordSchema, {
    ...fields,
    diffBytes: BigInt(fields.diffBytes),
    diffPackets: BigInt(fields.diffPackets),
  });
}

export class FlowBatchEncoder {
  readonly templates: readonly FlowTemplate[];
  /** Per template: action code and diff counters times max(sampling, 1), for ack accounting. */
  readonly actionOf: Uint8Array;
  readonly scaledBytes: Float64Array;
  readonly scaledPackets: Float64Array;

  private readonly heads: Heads;
  private readonly portSeed: Float64Array;
  private readonly phase: Float64Array;
  private readonly diffBytes: Float64Array;
  private readonly diffPackets: Float64Array;
  private readonly generation: Float64Array;
  private readonly samples: Float64Array;
  private readonly maxRecord: number;
  private readonly lifetimeUs: number;
  private readonly invalidEvery: number;
  private readonly nowUs: () => number;
  private cursor = 0;
  private lastTs = 0;
  private produced = 0;

  constructor(templates: readonly FlowTemplate[], options: EncoderOptions = {}) {
    if (templates.length === 0) throw new Error('a flow encoder needs at least one template');
    const n = templates.length;
    this.templates = templates;
    this.lifetimeUs = (options.flowLifetimeMs ?? 30_000) * 1000;
    this.invalidEvery = options.invalidEvery ?? 0;
    this.nowUs = options.nowUs ?? (() => Date.now() * 1000);
    // A template whose reverse flow is never exported still names it: its uuid takes a slot past the pool.
    const uuids = n + templates.filter((t) => t.pair === null).length;
    this.heads = buildHeads(templates, uuidPrefixes(uuids, options.salt ?? 0, templates[0]?.vrouter ?? 0));
    // The head, the port (< 2^16) and four uint64 values with their tags.
    this.maxRecord = FRAME_MAX + this.heads.longest + 3 + TAIL_TAGS + 4 * 10;
    this.portSeed = Float64Array.from(templates, (t) => t.portSeed);
    // Both halves of a connection, on both vRouters, share the phase: they renew at the same moment.
    this.phase = Float64Array.from(templates, (t) => (t.portSeed * 7919) % this.lifetimeUs);
    this.diffBytes = Float64Array.from(templates, (t) => t.fields.diffBytes);
    this.diffPackets = Float64Array.from(templates, (t) => t.fields.diffPackets);
    const scale = (t: FlowTemplate): number => Math.max(t.fields.sampling, 1);
    this.actionOf = Uint8Array.from(templates, (t) => t.fields.action);
    this.scaledBytes = Float64Array.from(templates, (t) => t.fields.diffBytes * scale(t));
    this.scaledPackets = Float64Array.from(templates, (t) => t.fields.diffPackets * scale(t));
    this.generation = new Float64Array(n).fill(-1);
    this.samples = new Float64Array(n);
  }

  /** Encodes the next `count` records of the pool (cycling) as batch `seq`. */
  encode(seq: number, count: number): EncodedBatch {
    const buf = Buffer.allocUnsafe(HEADROOM + count * this.maxRecord);
    const templates = new Uint32Array(count);
    const totals = newTotals();
    const invalid: number[] = [];
    const now = this.nowUs();
    let pos = HEADROOM;
    for (let i = 0; i < count; i++) {
      const t = this.cursor;
      this.cursor = t + 1 === this.templates.length ? 0 : t + 1;
      // Strictly increasing per vRouter: (flow_uuid, timestamp) never repeats, yet stays near now.
      const ts = (this.lastTs = now > this.lastTs ? now : this.lastTs + 1);
      const bad = this.invalidEvery > 0 && ++this.produced % this.invalidEvery === 0;
      if (bad) invalid.push(i);
      pos = this.writeRecord(buf, pos, t, ts, bad);
      templates[i] = t;
      const a = (this.actionOf[t] ?? 0) * 3;
      totals[a] = (totals[a] ?? 0) + 1;
      totals[a + 1] = (totals[a + 1] ?? 0) + (this.scaledBytes[t] ?? 0);
      totals[a + 2] = (totals[a + 2] ?? 0) + (this.scaledPackets[t] ?? 0);
    }
    const start = writeHeaders(buf, seq, pos - HEADROOM);
    const flows = buf.subarray(HEADROOM, pos);
    return { seq, payload: buf.subarray(start, pos), flows, records: count, templates, invalid, totals };
  }

  private writeRecord(buf: Buffer, pos: number, t: number, ts: number, bad: boolean): number {
    const lifetime = this.lifetimeUs;
    const phase = this.phase[t] ?? 0;
    const gen = Math.floor((ts + phase) / lifetime);
    if (gen !== this.generation[t]) {
      this.generation[t] = gen;
      this.samples[t] = 0;
    }
    const k = (this.samples[t] = (this.samples[t] ?? 0) + 1);
    const setup = gen * lifetime - phase;
    const port = 32768 + (((this.portSeed[t] ?? 0) + gen * 7919) % 28232);
    const bytes = k * (this.diffBytes[t] ?? 0);
    const packets = k * (this.diffPackets[t] ?? 0);
    const { bytes: heads, offset, flowGenAt: flowGen, reverseGenAt: reverseGen } = this.heads;
    const h0 = offset[t] ?? 0;
    const h1 = offset[t + 1] ?? 0;
    const headLen = bad ? h1 - h0 - 1 : h1 - h0;
    const len =
      headLen +
      varintSize(port) +
      TAIL_TAGS +
      varintSize(setup) +
      varintSize(bytes) +
      varintSize(packets) +
      varintSize(ts);
    pos = putVarint(buf, pos, TAG.records);
    pos = putVarint(buf, pos, len);
    const flowGenAt = flowGen[t] ?? 0;
    const reverseGenAt = reverseGen[t] ?? 0;
    if (bad) {
      // A 15-byte flow uuid: the generation takes the place of the fixed part's last byte.
      heads.copy(buf, pos, h0, h0 + flowGenAt - 1);
      buf[pos + flowGenAt - 13] = 15; // the uuid's length
      heads.copy(buf, pos + flowGenAt + 3, h0 + flowGenAt + 4, h1);
      buf.writeUInt32BE(gen >>> 0, pos + flowGenAt - 1);
      buf.writeUInt32BE(gen >>> 0, pos + reverseGenAt - 1);
    } else {
      heads.copy(buf, pos, h0, h1);
      buf.writeUInt32BE(gen >>> 0, pos + flowGenAt);
      buf.writeUInt32BE(gen >>> 0, pos + reverseGenAt);
    }
    pos = putVarint(buf, pos + headLen, port);
    pos = putVarint(buf, pos, TAG.setupTime);
    pos = putVarint(buf, pos, setup);
    pos = putVarint(buf, pos, TAG.bytes);
    pos = putVarint(buf, pos, bytes);
    pos = putVarint(buf, pos, TAG.packets);
    pos = putVarint(buf, pos, packets);
    pos = putVarint(buf, pos, TAG.timestamp);
    return putVarint(buf, pos, ts);
  }
}

/**
 * Per template, a record's bytes up to its ephemeral port but for the flow's generation: the static
 * fields, flow_uuid (12 fixed bytes, then 4 for the generation), reverse_uuid (the pair's, alike, or
 * one of its own when the reverse flow is not exported) and
 * the port's tag. All heads end to end, with where each starts and where its generations go.
 */
interface Heads {
  bytes: Buffer;
  offset: Uint32Array;
  flowGenAt: Uint32Array;
  reverseGenAt: Uint32Array;
  longest: number;
}

function buildHeads(templates: readonly FlowTemplate[], prefixes: Buffer): Heads {
  const n = templates.length;
  const flowGenAt = new Uint32Array(n);
  const reverseGenAt = new Uint32Array(n);
  let unexported = n;
  const heads = templates.map((t, i) => {
    const pair = t.pair ?? unexported++;
    const statics = encodeStaticFields(t.fields);
    const uuids = SIZE.flowUuid + SIZE.reverseUuid + 2 * (1 + 16); // tags, lengths, uuids
    const head = Buffer.alloc(statics.length + uuids + SIZE[t.ephemeral]);
    head.set(statics);
    let pos = putVarint(head, statics.length, TAG.flowUuid);
    head[pos++] = 16;
    pos += prefixes.copy(head, pos, i * 12, i * 12 + 12);
    flowGenAt[i] = pos;
    pos = putVarint(head, pos + 4, TAG.reverseUuid);
    head[pos++] = 16;
    pos += prefixes.copy(head, pos, pair * 12, pair * 12 + 12);
    reverseGenAt[i] = pos;
    putVarint(head, pos + 4, TAG[t.ephemeral]);
    return head;
  });
  const offset = new Uint32Array(n + 1);
  heads.forEach((h, i) => (offset[i + 1] = (offset[i] ?? 0) + h.length));
  const longest = Math.max(...heads.map((h) => h.length));
  return { bytes: Buffer.concat(heads), offset, flowGenAt, reverseGenAt, longest };
}

/** Writes PublishRequest{batch(2){seq(1), flows(11){…records}}} in front of the records. */
function writeHeaders(buf: Buffer, seq: number, recordsLen: number): number {
  // Batch.seq, and the length of Batch.flows: what the Batch holds before the records.
  const batchFields = SIZE.seq + varintSize(seq) + SIZE.flows + varintSize(recordsLen);
  const batchLen = batchFields + recordsLen;
  const headerLen = SIZE.batch + varintSize(batchLen) + batchFields;
  const start = HEADROOM - headerLen;
  let pos = putVarint(buf, start, TAG.batch);
  pos = putVarint(buf, pos, batchLen);
  pos = putVarint(buf, pos, TAG.seq);
  pos = putVarint(buf, pos, seq);
  pos = putVarint(buf, pos, TAG.flows);
  putVarint(buf, pos, recordsLen);
  return start;
}

/** Random-looking, version-4 shaped uuid prefixes: salt and vRouter make them unique per run and node. */
function uuidPrefixes(n: number, salt: number, vrouter: number): Buffer {
  const out = Buffer.alloc(n * 12);
  for (let t = 0; t < n; t++) {
    const o = t * 12;
    out.writeUInt32BE(salt >>> 0, o);
    out.writeUInt32BE(mix(vrouter * 0x10000 + (t >>> 16), salt), o + 4);
    out.writeUInt32BE(mix(t, salt ^ vrouter), o + 8);
    out[o + 6] = ((out[o + 6] ?? 0) & 0x0f) | 0x40;
    out[o + 8] = ((out[o + 8] ?? 0) & 0x3f) | 0x80;
    // The low 16 bits keep the template index readable, and so unique within the vRouter.
    out.writeUInt16BE(t & 0xffff, o + 10);
  }
  return out;
}

/** A 32-bit integer hash (murmur3 finaliser). */
function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
