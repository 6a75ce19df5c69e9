import { messages } from '../../common/proto.js';
import { putVarint, varintSize } from '../../common/wire/writer.js';
import type { FlowTemplate, StaticFlowFields } from '../fabric/flows/templates.js';

/**
 * Encodes flow batches as ready-to-send `PublishRequest{batch{seq, flows}}` bytes at high rate.
 * Each template's constant fields are encoded once by protobufjs; per record only a short tail is
 * written by hand (flow and reverse uuids, ephemeral port, setup time, cumulative counters,
 * timestamp). Protobuf allows fields in any order, so "constant part + tail" is a valid record.
 */

/** Per action code (PASS=1, DENY=2, DROP=3): records, scaled bytes, scaled packets at [code*3 + k]. */
export type ActionTotals = Float64Array;
export const ACTION_SLOTS = 4;
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
const TAIL_MAX = 18 + 18 + 4 + 2 * 4 + 10 * 4; // uuids, port, four uint64 fields with 2-byte tags
const TAG = {
  flowUuid: 0x0a,
  reverseUuid: 0x12,
  sport: 0x60,
  dport: 0x68,
  setupTime: [0x98, 0x01],
  bytes: [0xa8, 0x01],
  packets: [0xb0, 0x01],
  timestamp: [0xe8, 0x01],
} as const;

/** protobufjs writes zero values of proto3 scalars when present; leave them out for compact records. */
function compact(fields: StaticFlowFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === '' || value === 0 || value === undefined) continue;
    if (value instanceof Uint8Array && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

export function encodeStaticFields(fields: StaticFlowFields): Uint8Array {
  return messages.FlowRecord.encode(messages.FlowRecord.fromObject(compact(fields))).finish();
}

export class FlowBatchEncoder {
  readonly templates: readonly FlowTemplate[];
  /** Per template: action code and diff counters times max(sampling, 1), for ack accounting. */
  readonly actionOf: Uint8Array;
  readonly scaledBytes: Float64Array;
  readonly scaledPackets: Float64Array;

  private readonly statics: Buffer;
  private readonly staticOffset: Uint32Array;
  private readonly uuidPrefixes: Buffer; // 12 bytes per template, the generation fills the last 4
  private readonly pairOf: Uint32Array;
  private readonly portSeed: Float64Array;
  private readonly ephemeralTag: Uint8Array;
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
    const encoded = templates.map((t) => encodeStaticFields(t.fields));
    this.staticOffset = new Uint32Array(n + 1);
    encoded.forEach((e, i) => (this.staticOffset[i + 1] = (this.staticOffset[i] ?? 0) + e.length));
    this.statics = Buffer.concat(encoded);
    this.maxRecord = Math.max(...encoded.map((e) => e.length)) + TAIL_MAX + 4;
    this.uuidPrefixes = uuidPrefixes(n, options.salt ?? 0, templates[0]?.vrouter ?? 0);
    this.pairOf = Uint32Array.from(templates, (t) => t.pair);
    this.portSeed = Float64Array.from(templates, (t) => t.portSeed);
    this.ephemeralTag = Uint8Array.from(templates, (t) => (t.ephemeral === 'sport' ? TAG.sport : TAG.dport));
    // Both halves of a connection, on both vRouters, share the phase: they renew at the same moment.
    this.phase = Float64Array.from(templates, (t) => (t.portSeed * 7919) % this.lifetimeUs);
    this.diffBytes = Float64Array.from(templates, (t) => t.fields.diff_bytes);
    this.diffPackets = Float64Array.from(templates, (t) => t.fields.diff_packets);
    const scale = (t: FlowTemplate): number => Math.max(t.fields.sampling, 1);
    this.actionOf = Uint8Array.from(templates, (t) => t.fields.action);
    this.scaledBytes = Float64Array.from(templates, (t) => t.fields.diff_bytes * scale(t));
    this.scaledPackets = Float64Array.from(templates, (t) => t.fields.diff_packets * scale(t));
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
    const s0 = this.staticOffset[t] ?? 0;
    const s1 = this.staticOffset[t + 1] ?? 0;
    const uuidLen = bad ? 15 : 16;
    const len =
      s1 -
      s0 +
      (2 + uuidLen) +
      18 +
      1 +
      varintSize(port) +
      2 +
      varintSize(setup) +
      2 +
      varintSize(bytes) +
      2 +
      varintSize(packets) +
      2 +
      varintSize(ts);
    buf[pos++] = 0x0a; // FlowBatch.records
    pos = putVarint(buf, pos, len);
    pos += this.statics.copy(buf, pos, s0, s1);
    buf[pos++] = TAG.flowUuid;
    buf[pos++] = uuidLen;
    pos = this.writeUuid(buf, pos, t, gen, uuidLen);
    buf[pos++] = TAG.reverseUuid;
    buf[pos++] = 16;
    pos = this.writeUuid(buf, pos, this.pairOf[t] ?? t, gen, 16);
    buf[pos++] = this.ephemeralTag[t] ?? TAG.sport;
    pos = putVarint(buf, pos, port);
    pos = writeTagged(buf, pos, TAG.setupTime, setup);
    pos = writeTagged(buf, pos, TAG.bytes, bytes);
    pos = writeTagged(buf, pos, TAG.packets, packets);
    return writeTagged(buf, pos, TAG.timestamp, ts);
  }

  /** 12 bytes fixed per template, then the flow's generation: a renewed flow gets a new uuid. */
  private writeUuid(buf: Buffer, pos: number, t: number, gen: number, len: number): number {
    this.uuidPrefixes.copy(buf, pos, t * 12, t * 12 + 12);
    buf.writeUInt32BE(gen >>> 0, pos + 12 - (16 - len));
    return pos + len;
  }
}

function writeTagged(buf: Buffer, pos: number, tag: readonly [number, number], v: number): number {
  buf[pos++] = tag[0];
  buf[pos++] = tag[1];
  return putVarint(buf, pos, v);
}

/** Writes PublishRequest{batch(2){seq(1), flows(11){…records}}} in front of the records. */
function writeHeaders(buf: Buffer, seq: number, recordsLen: number): number {
  const batchLen = 1 + varintSize(seq) + 1 + varintSize(recordsLen) + recordsLen;
  const headerLen = 1 + varintSize(batchLen) + 1 + varintSize(seq) + 1 + varintSize(recordsLen);
  const start = HEADROOM - headerLen;
  let pos = start;
  buf[pos++] = 0x12; // PublishRequest.batch
  pos = putVarint(buf, pos, batchLen);
  buf[pos++] = 0x08; // Batch.seq
  pos = putVarint(buf, pos, seq);
  buf[pos++] = 0x5a; // Batch.flows (field 11, length-delimited)
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
