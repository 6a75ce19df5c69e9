import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { wireTag } from '../../common/proto.js';
import { WireError, WireReader, WireType } from '../../common/wire/reader.js';
import type { Rng } from '../../simulator/fabric/random.js';
import { varint } from './raw-protobuf.js';

/**
 * Mutations of protobuf messages as a broken or hostile sender would write them: byte-level (bit
 * flips, truncation, splices) and field-level, guided by the message's descriptor (values at and past
 * their type's bounds, varints past 2^64, field numbers past 2^29, wrong wire types, duplicated and
 * removed fields, huge lengths, out-of-range times, oversize and invalid UTF-8 strings, deeply nested
 * JSON), down into nested messages. Deterministic for a given Rng.
 */

/** A top-level field as it sits on the wire. */
interface WireField {
  number: number;
  wire: number;
  /** The whole field, tag included. */
  bytes: Buffer;
  /** A LEN field's content. */
  content?: Buffer;
}

/** The top-level fields of a message, or undefined when it does not parse (broken already). */
function fieldsOf(buf: Buffer): WireField[] | undefined {
  const fields: WireField[] = [];
  const reader = new WireReader(buf);
  try {
    while (!reader.done()) {
      const start = reader.pos;
      const tag = reader.varint();
      const wire = tag % 8;
      const number = Math.floor(tag / 8);
      let content: Buffer | undefined;
      if (wire === WireType.LEN) content = buf.subarray(...reader.lengthDelimited());
      else reader.skip(wire);
      fields.push({ number, wire, bytes: buf.subarray(start, reader.pos), content });
    }
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
  return fields;
}

const tag = (number: bigint | number, wire: number): Buffer => varint((BigInt(number) << 3n) | BigInt(wire));

/** A field of any number and wire type, with a payload that fits the wire type. */
function field(number: bigint | number, wire: number, payload: Buffer | bigint): Buffer {
  if (typeof payload === 'bigint') return Buffer.concat([tag(number, wire), varint(payload)]);
  if (wire === WireType.LEN)
    return Buffer.concat([tag(number, wire), varint(BigInt(payload.length)), payload]);
  return Buffer.concat([tag(number, wire), payload]);
}

const wireOf = (f: DescField): number => wireTag(f) & 7;
const isText = (f: DescField): boolean =>
  (f.fieldKind === 'scalar' || f.fieldKind === 'list') && wireOf(f) === WireType.LEN && !f.message;
const isVarint = (f: DescField): boolean => wireOf(f) === WireType.VARINT;
const isTime = (f: DescField): boolean => /time|epoch/.test(f.name);

export interface Mutated {
  bytes: Buffer;
  /** What was done, in order, for the failure report. */
  applied: string[];
}

interface Context {
  rng: Rng;
  schema: DescMessage | undefined;
  applied: string[];
}

type Mutation = (buf: Buffer, ctx: Context) => Buffer;

function randomBytes(rng: Rng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, 255);
  return out;
}

/** A schema field to aim at (by a predicate), or an existing field's number, or any number. */
function target(
  buf: Buffer,
  ctx: Context,
  wanted: (f: DescField) => boolean = () => true,
): DescField | number {
  const candidates = ctx.schema?.fields.filter(wanted) ?? [];
  if (candidates.length > 0 && ctx.rng.next() < 0.85) return ctx.rng.pick(candidates);
  const present = fieldsOf(buf);
  if (present && present.length > 0) return ctx.rng.pick(present).number;
  return ctx.rng.int(1, 40);
}
const numberOf = (t: DescField | number): number => (typeof t === 'number' ? t : t.number);
const nameOf = (t: DescField | number): string => (typeof t === 'number' ? `#${t}` : t.name);

/** The message with every field of `number` replaced by `replacement` (appended when absent). */
function replace(buf: Buffer, number: number, replacement: Buffer, ctx: Context): Buffer {
  const fields = fieldsOf(buf);
  if (!fields) return Buffer.concat([buf, replacement]);
  const kept = fields.filter((f) => f.number !== number).map((f) => f.bytes);
  kept.splice(ctx.rng.int(0, kept.length), 0, replacement);
  return Buffer.concat(kept);
}

const US_PER_DAY = 86_400e6;
const boundaries = [
  0n,
  1n,
  2n,
  127n,
  128n,
  255n,
  256n,
  65_535n,
  65_536n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 40n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n,
  2n ** 64n - 1n,
];

function times(): bigint[] {
  const now = BigInt(Date.now() * 1000);
  const day = BigInt(US_PER_DAY);
  return [
    0n,
    1n,
    946_684_799_999_999n,
    now - 8n * day,
    now - 31n * day,
    now - 400n * day,
    now + 2n * 3_600_000_000n,
    now + 3650n * day,
    2n ** 53n,
    2n ** 63n,
    2n ** 64n - 1n,
    now / 1000n,
    now * 1000n,
  ];
}

/** Nested JSON `depth` deep, in one of a few shapes; some with brackets inside strings. */
function deepJson(depth: number, rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    case 1:
      return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    case 2:
      return `{"s":"${'[{'.repeat(depth)}","b":${'['.repeat(Math.min(depth, 31))}${']'.repeat(Math.min(depth, 31))}}`;
    default:
      return `{"a":${'['.repeat(depth)}`;
  }
}

const mutations: Record<string, Mutation> = {
  'bit flip': (buf, { rng, applied }) => {
    if (buf.length === 0) return randomBytes(rng, 1);
    const out = Buffer.from(buf);
    const flips = rng.int(1, 4);
    for (let i = 0; i < flips; i++) {
      const at = rng.int(0, out.length - 1);
      out[at] = out[at]! ^ (1 << rng.int(0, 7));
    }
    applied.push(`bit flip x${flips}`);
    return out;
  },
  truncate: (buf, { rng, applied }) => {
    const length = buf.length === 0 ? 0 : rng.int(0, buf.length - 1);
    applied.push(`truncate to ${length}`);
    return buf.subarray(0, length);
  },
  splice: (buf, { rng, applied }) => {
    const at = rng.int(0, buf.length);
    const bytes = randomBytes(rng, rng.int(1, 8));
    applied.push(`splice ${bytes.toString('hex')} at ${at}`);
    return Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]);
  },
  'varint past 2^64': (buf, ctx) => {
    const t = target(buf, ctx, isVarint);
    const value = ctx.rng.pick([2n ** 64n, 2n ** 64n + 1n, 2n ** 70n, 2n ** 128n]);
    ctx.applied.push(`${nameOf(t)} = ${value}`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.VARINT, value), ctx);
  },
  'field number past 2^29': (buf, ctx) => {
    const number = ctx.rng.pick([0n, 2n ** 29n - 1n, 2n ** 29n, 2n ** 29n + 7n, 2n ** 32n, 2n ** 61n - 1n]);
    const wire = ctx.rng.pick([WireType.VARINT, WireType.LEN, WireType.I32]);
    const payload =
      wire === WireType.I32 ? Buffer.alloc(4, 1) : wire === WireType.LEN ? Buffer.from('x') : 1n;
    ctx.applied.push(`field number ${number} (wire ${wire})`);
    const at = ctx.rng.int(0, buf.length);
    const fields = fieldsOf(buf);
    const extra = field(number, wire, payload);
    if (!fields) return Buffer.concat([buf.subarray(0, at), extra, buf.subarray(at)]);
    return Buffer.concat([buf, extra]);
  },
  'wrong wire type': (buf, ctx) => {
    const t = target(buf, ctx);
    const expected = typeof t === 'number' ? -1 : wireOf(t);
    const wire = ctx.rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== expected));
    const payload =
      wire === WireType.VARINT
        ? 1n
        : wire === WireType.I64
          ? Buffer.alloc(8, 7)
          : wire === WireType.LEN
            ? Buffer.from('wrong')
            : wire === WireType.I32
              ? Buffer.alloc(4, 7)
              : Buffer.alloc(0);
    ctx.applied.push(`${nameOf(t)} with wire type ${wire}`);
    return replace(buf, numberOf(t), field(numberOf(t), wire, payload), ctx);
  },
  'duplicate field': (buf, ctx) => {
    const fields = fieldsOf(buf);
    if (!fields || fields.length === 0) return mutations['bit flip']!(buf, ctx);
    const copy = ctx.rng.pick(fields);
    const at = ctx.rng.int(0, fields.length);
    ctx.applied.push(`field ${copy.number} twice`);
    const all = fields.map((f) => f.bytes);
    all.splice(at, 0, copy.bytes);
    return Buffer.concat(all);
  },
  'remove field': (buf, ctx) => {
    const fields = fieldsOf(buf);
    if (!fields || fields.length === 0) return mutations.truncate!(buf, ctx);
    const gone = ctx.rng.int(0, fields.length - 1);
    ctx.applied.push(`field ${fields[gone]!.number} removed`);
    return Buffer.concat(fields.filter((_, i) => i !== gone).map((f) => f.bytes));
  },
  'huge length': (buf, ctx) => {
    const t = target(buf, ctx, (f) => wireOf(f) === WireType.LEN);
    const length = ctx.rng.pick([2n ** 31n, 2n ** 32n + 5n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]);
    ctx.applied.push(`${nameOf(t)} announcing ${length} bytes`);
    const huge = Buffer.concat([tag(numberOf(t), WireType.LEN), varint(length), Buffer.from('abc')]);
    return replace(buf, numberOf(t), huge, ctx);
  },
  'boundary value': (buf, ctx) => {
    const t = target(buf, ctx, isVarint);
    const value = ctx.rng.pick(boundaries);
    ctx.applied.push(`${nameOf(t)} = ${value}`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.VARINT, value), ctx);
  },
  'time out of range': (buf, ctx) => {
    const t = target(buf, ctx, (f) => isVarint(f) && isTime(f));
    const value = ctx.rng.pick(times());
    ctx.applied.push(`${nameOf(t)} = ${value}`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.VARINT, value), ctx);
  },
  'oversize string': (buf, ctx) => {
    const t = target(buf, ctx, isText);
    const length = ctx.rng.pick([
      15,
      17,
      255,
      256,
      257,
      513,
      4097,
      65_537,
      ctx.rng.next() < 0.1 ? 1 << 20 : 600,
    ]);
    const text = Buffer.alloc(length, ctx.rng.pick(['a', ':', '[', '0']));
    ctx.applied.push(`${nameOf(t)} of ${length} bytes`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.LEN, text), ctx);
  },
  'invalid utf-8': (buf, ctx) => {
    const t = target(buf, ctx, isText);
    const bytes = Buffer.from(
      ctx.rng.pick(['ff', 'c328', 'e28228', 'f0288c28', '7b22613a22ff227d', 'eda080']),
      'hex',
    );
    ctx.applied.push(`${nameOf(t)} = 0x${bytes.toString('hex')}`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.LEN, bytes), ctx);
  },
  'deep json': (buf, ctx) => {
    const t = target(buf, ctx, (f) => f.name === 'attributes_json' || isText(f));
    const depth = ctx.rng.pick([31, 32, 33, 100, 30_000]);
    ctx.applied.push(`${nameOf(t)} nested ${depth} deep`);
    return replace(
      buf,
      numberOf(t),
      field(numberOf(t), WireType.LEN, Buffer.from(deepJson(depth, ctx.rng))),
      ctx,
    );
  },
  'random content': (buf, ctx) => {
    const t = target(buf, ctx, (f) => wireOf(f) === WireType.LEN);
    const bytes = randomBytes(ctx.rng, ctx.rng.int(0, 24));
    ctx.applied.push(`${nameOf(t)} = 0x${bytes.toString('hex')}`);
    return replace(buf, numberOf(t), field(numberOf(t), WireType.LEN, bytes), ctx);
  },
  nested: (buf, ctx) => {
    const fields = fieldsOf(buf);
    const nested = fields?.filter((f) => f.content !== undefined && f.content.length > 0) ?? [];
    if (nested.length === 0) return mutations['bit flip']!(buf, ctx);
    const chosen = ctx.rng.pick(nested);
    const desc = ctx.schema?.fields.find((f) => f.number === chosen.number);
    ctx.applied.push(`in field ${chosen.number}:`);
    const inner = mutateOnce(chosen.content!, { ...ctx, schema: messageOf(desc) });
    const out = fields!.map((f) => (f === chosen ? field(f.number, WireType.LEN, inner) : f.bytes));
    return Buffer.concat(out);
  },
};

/** The message a field holds (a map entry has none: mutated without a descriptor). */
function messageOf(desc: DescField | undefined): DescMessage | undefined {
  if (desc?.fieldKind === 'message') return desc.message;
  if (desc?.fieldKind === 'list' && desc.listKind === 'message') return desc.message;
  return undefined;
}

function mutateOnce(buf: Buffer, ctx: Context): Buffer {
  const name = ctx.rng.pick(Object.keys(mutations));
  return mutations[name]!(buf, ctx);
}

/** One to `most` mutations of a message (its descriptor guides the field-level ones). */
export function mutate(buf: Buffer, schema: DescMessage | undefined, rng: Rng, most = 3): Mutated {
  const ctx: Context = { rng, schema, applied: [] };
  let bytes = buf;
  const count = rng.int(1, most);
  for (let i = 0; i < count; i++) bytes = mutateOnce(bytes, ctx);
  return { bytes, applied: ctx.applied };
}
