import { exception } from './exceptions.js';

/**
 * The Native format as a ClickHouse server writes it for a client that sent `client_protocol_version`
 * (clickhouse-go does): each block starts with its BlockInfo and each column's type is followed by a
 * "custom serialization" flag. The embedded engine writes Native as for a plain HTTP client, without
 * either, and has no setting for it, so the blocks are walked here and the two inserted; the column
 * data is copied as the engine wrote it. Walking needs each column's data length, so every type the
 * engine may send is read below; the dynamic ones (JSON, Dynamic, Variant, AggregateFunction) are
 * refused with NOT_IMPLEMENTED.
 */

/** BlockInfo: field 1 is_overflows = false, field 2 bucket_num = -1, end of fields. */
const BLOCK_INFO = Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);
const NO_CUSTOM_SERIALIZATION = Buffer.from([0]);
/** The protocol revision from which each column carries the custom serialization flag. */
const WITH_CUSTOM_SERIALIZATION = 54454;

/** A type as the engine prints it: `Name` or `Name(arg, …)`, arguments split at the top level. */
interface TypeName {
  name: string;
  args: string[];
}

export function parseType(text: string): TypeName {
  const open = text.indexOf('(');
  if (open < 0) return { name: text.trim(), args: [] };
  const inner = text.slice(open + 1, text.lastIndexOf(')'));
  const args: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(inner.slice(start).trim());
  return { name: text.slice(0, open).trim(), args };
}

/** A Tuple element is `Type` or `name Type`. */
const elementType = (element: string): string =>
  /^(?:`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)$/s.exec(element)?.[1] ?? element;

const FIXED: Record<string, number> = {
  UInt8: 1,
  UInt16: 2,
  UInt32: 4,
  UInt64: 8,
  UInt128: 16,
  UInt256: 32,
  Int8: 1,
  Int16: 2,
  Int32: 4,
  Int64: 8,
  Int128: 16,
  Int256: 32,
  Float32: 4,
  Float64: 8,
  BFloat16: 2,
  Bool: 1,
  Date: 2,
  Date32: 4,
  DateTime: 4,
  DateTime64: 8,
  Time: 4,
  Time64: 8,
  UUID: 16,
  IPv4: 4,
  IPv6: 16,
  Enum8: 1,
  Enum16: 2,
  Decimal32: 4,
  Decimal64: 8,
  Decimal128: 16,
  Decimal256: 32,
  // Nothing is written as one byte a row.
  Nothing: 1,
};

/** The geo types are names for compositions of Float64. */
const ALIASES: Record<string, string> = {
  Point: 'Tuple(Float64, Float64)',
  Ring: 'Array(Point)',
  LineString: 'Array(Point)',
  Polygon: 'Array(Ring)',
  MultiLineString: 'Array(LineString)',
  MultiPolygon: 'Array(Polygon)',
};

const decimalWidth = (precision: number): number =>
  precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;

/** LowCardinality's index width by the low byte of its serialization type. */
const INDEX_WIDTH = [1, 2, 4, 8];
const NEED_GLOBAL_DICTIONARY = 1n << 8n;
const HAS_ADDITIONAL_KEYS = 1n << 9n;

class Walker {
  pos = 0;
  constructor(private readonly data: Buffer) {}

  varint(): number {
    let value = 0;
    let shift = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      shift *= 128;
    }
  }

  byte(): number {
    if (this.pos >= this.data.length) throw truncated();
    return this.data[this.pos++]!;
  }

  uint64(): bigint {
    this.need(8);
    const value = this.data.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  skip(bytes: number): void {
    this.need(bytes);
    this.pos += bytes;
  }

  string(): void {
    this.skip(this.varint());
  }

  need(bytes: number): void {
    if (this.pos + bytes > this.data.length) throw truncated();
  }

  /** The state a column's serialization writes before its data (LowCardinality's key version). */
  prefix(type: string): void {
    const { name, args } = parseType(ALIASES[type] ?? type);
    if (name === 'LowCardinality') this.skip(8);
    else if (name === 'Array' || name === 'Nullable') this.prefix(args[0]!);
    else if (name === 'SimpleAggregateFunction') this.prefix(args.at(-1)!);
    else if (name === 'Tuple') for (const a of args) this.prefix(elementType(a));
    else if (name === 'Map') for (const a of args) this.prefix(a);
  }

  column(type: string, rows: number): void {
    if (rows === 0) return;
    const { name, args } = parseType(ALIASES[type] ?? type);
    const fixed = FIXED[name];
    if (fixed !== undefined) return this.skip(fixed * rows);
    switch (name) {
      case 'String':
        for (let i = 0; i < rows; i++) this.string();
        return;
      case 'FixedString':
        return this.skip(Number(args[0]) * rows);
      case 'Decimal':
        return this.skip(decimalWidth(Number(args[0])) * rows);
      case 'Nullable':
        this.skip(rows);
        return this.column(args[0]!, rows);
      case 'SimpleAggregateFunction':
        return this.column(args.at(-1)!, rows);
      case 'Tuple':
        for (const a of args) this.column(elementType(a), rows);
        return;
      case 'Array':
        return this.column(args[0]!, this.offsets(rows));
      case 'Map': {
        const entries = this.offsets(rows);
        for (const a of args) this.column(a, entries);
        return;
      }
      case 'LowCardinality':
        return this.lowCardinality(args[0]!);
    }
    if (name.startsWith('Interval')) return this.skip(8 * rows);
    throw exception(
      'NOT_IMPLEMENTED',
      `the Native format with client_protocol_version is not available for columns of type ${type} on this endpoint: select them as String (toString) or use another format`,
    );
  }

  /** An Array's offsets; the last one is the number of elements of all its rows. */
  private offsets(rows: number): number {
    this.skip(8 * rows);
    return Number(this.data.readBigUInt64LE(this.pos - 8));
  }

  private lowCardinality(inner: string): void {
    const kind = this.uint64();
    if (kind & NEED_GLOBAL_DICTIONARY || !(kind & HAS_ADDITIONAL_KEYS))
      throw exception('NOT_IMPLEMENTED', `LowCardinality serialization ${kind} in Native output`);
    const dictionary = parseType(inner);
    this.column(dictionary.name === 'Nullable' ? dictionary.args[0]! : inner, Number(this.uint64()));
    this.skip(Number(this.uint64()) * INDEX_WIDTH[Number(kind & 0xffn)]!);
  }
}

const truncated = () => exception('UNKNOWN_EXCEPTION', 'Native output of the engine ended inside a block');

/**
 * The engine's Native output for a client of protocol `revision` (0: as written). The whole output is
 * in memory: the endpoint sends a result once it is complete.
 */
export function nativeForClient(data: Buffer, revision: number): Buffer {
  if (revision <= 0 || data.length === 0) return data;
  const walker = new Walker(data);
  const parts: Buffer[] = [];
  let copied = 0;
  const copyTo = (end: number) => {
    parts.push(data.subarray(copied, end));
    copied = end;
  };
  while (walker.pos < data.length) {
    parts.push(BLOCK_INFO);
    const columns = walker.varint();
    const rows = walker.varint();
    for (let c = 0; c < columns; c++) {
      walker.string();
      const typeLength = walker.varint();
      walker.skip(typeLength);
      const type = data.toString('utf8', walker.pos - typeLength, walker.pos);
      if (revision >= WITH_CUSTOM_SERIALIZATION) {
        copyTo(walker.pos);
        parts.push(NO_CUSTOM_SERIALIZATION);
      }
      if (rows > 0) {
        walker.prefix(type);
        walker.column(type, rows);
      }
    }
    copyTo(walker.pos);
  }
  return Buffer.concat(parts);
}
