import { endianness } from 'node:os';
import {
  FIRST_IN_HOUR,
  FIRST_IN_MINUTE,
  increaseColumn,
  labelsOf,
  metricsOf,
  type Entity,
  type ValueType,
} from '@meridian/catalog';
import type { SampleRow, SampleValue } from './types.js';

/** A row as the encoder reads it: values by column name. */
export type Cells = Readonly<Record<string, SampleValue | undefined>>;

/**
 * An encoder for ClickHouse's Native format (columnar: per column a name, a type, then the values),
 * for the wide sample tables. Native is the cheapest body the engine can take: numbers are copied as
 * typed arrays, so neither side formats or parses text. @clickhouse/client has no binary encoder,
 * so this is ours.
 *
 * Strings are sent as String even where the table has LowCardinality(String): the engine converts
 * on insert, and a dictionary-encoded LowCardinality body would add complexity for little gain here.
 */

if (endianness() !== 'LE') {
  // Typed arrays use the platform's byte order; Native is little-endian.
  throw new Error('@meridian/store: the Native encoder needs a little-endian CPU');
}

type ColumnKind = ValueType | 'DateTime64' | 'String' | 'UInt16Label' | 'Flag';

export interface NativeColumn {
  readonly name: string;
  readonly chType: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
}

const layouts = new Map<Entity, NativeColumn[]>();

/** The columns of a raw table, in the order the encoder writes them. */
export function nativeLayout(entity: Entity): NativeColumn[] {
  let cols = layouts.get(entity);
  if (!cols) {
    cols = [
      { name: 'ts', chType: "DateTime64(3, 'UTC')", kind: 'DateTime64', nullable: false },
      { name: 'source', chType: 'String', kind: 'String', nullable: false },
      ...labelsOf(entity).map((l): NativeColumn =>
        l.type === 'UInt16'
          ? { name: l.name, chType: 'UInt16', kind: 'UInt16Label', nullable: false }
          : { name: l.name, chType: 'String', kind: 'String', nullable: false },
      ),
      ...metricsOf(entity).map((m): NativeColumn => ({
        name: m.name,
        chType: `Nullable(${m.type})`,
        kind: m.type,
        nullable: true,
      })),
    ];
    layouts.set(entity, cols);
  }
  return cols;
}

const derivedLayouts = new Map<Entity, NativeColumn[]>();

/** The writer's derived columns (counter increases, first-in-bucket flags), written after the rest. */
function derivedLayout(entity: Entity): NativeColumn[] {
  let cols = derivedLayouts.get(entity);
  if (!cols) {
    cols = [
      ...metricsOf(entity).flatMap((m): NativeColumn[] => {
        const name = increaseColumn(m);
        return name ? [{ name, chType: `Nullable(${m.type})`, kind: m.type, nullable: true }] : [];
      }),
      ...[FIRST_IN_MINUTE, FIRST_IN_HOUR].map((name): NativeColumn => ({
        name,
        chType: 'UInt8',
        kind: 'Flag',
        nullable: false,
      })),
    ];
    derivedLayouts.set(entity, cols);
  }
  return cols;
}

/** Derived values to encode beside the rows: one object per row, and the columns any row sets. */
export interface DerivedInput {
  readonly rows: readonly Cells[];
  readonly present: ReadonlySet<string>;
}

const TWO_32 = 4294967296;

/** Grows as needed; written front to back. */
class ByteSink {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  varUInt(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }
  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.varUInt(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  bytes(b: Uint8Array): void {
    const len = b.length;
    this.ensure(len);
    // Labels are short: a plain loop beats the per-call cost of Buffer#set for a few dozen bytes.
    if (len < 64) {
      const buf = this.buf;
      let p = this.pos;
      for (let j = 0; j < len; j++) buf[p++] = b[j]!;
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += len;
  }
  /** A view of the next n bytes. Not zeroed: the caller writes every byte. */
  reserve(n: number): Buffer {
    this.ensure(n);
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return view;
  }
}

/**
 * Writes 64-bit integers from JS numbers (exact up to 2^53) as two little-endian 32-bit halves,
 * through an aligned scratch array copied in once: the view into the sink may be unaligned.
 */
function fill64(view: Buffer, rows: readonly Cells[], name: string, nulls: Buffer | null, signed: boolean): void {
  const n = rows.length;
  const words = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name];
    if (typeof v !== 'number') {
      if (nulls) nulls[i] = 1;
      continue;
    }
    if (nulls) nulls[i] = 0;
    words[2 * i] = v >= 0 ? v % TWO_32 : (v % TWO_32) + TWO_32;
    words[2 * i + 1] = signed ? Math.floor(v / TWO_32) | 0 : Math.floor(v / TWO_32);
  }
  view.set(new Uint8Array(words.buffer));
}

const WIDTH: Record<ValueType, number> = {
  Float32: 4,
  Float64: 8,
  UInt8: 1,
  UInt16: 2,
  UInt32: 4,
  UInt64: 8,
  Int32: 4,
};

function fillNumbers(view: Buffer, rows: readonly Cells[], name: string, type: ValueType, nulls: Buffer): void {
  if (type === 'UInt64') return fill64(view, rows, name, nulls, false);
  const n = rows.length;
  const arr = makeArray(type, new ArrayBuffer(n * WIDTH[type]), 0, n);
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name];
    if (typeof v === 'number') {
      arr[i] = v;
      nulls[i] = 0;
    } else {
      nulls[i] = 1;
    }
  }
  view.set(new Uint8Array(arr.buffer));
}

function makeArray(type: Exclude<ValueType, 'UInt64'>, ab: ArrayBufferLike, off: number, n: number) {
  switch (type) {
    case 'Float32':
      return new Float32Array(ab, off, n);
    case 'Float64':
      return new Float64Array(ab, off, n);
    case 'UInt8':
      return new Uint8Array(ab, off, n);
    case 'UInt16':
      return new Uint16Array(ab, off, n);
    case 'UInt32':
      return new Uint32Array(ab, off, n);
    case 'Int32':
      return new Int32Array(ab, off, n);
  }
}

/**
 * Encodes validated rows as one Native block. Only columns that at least one row sets are sent
 * (`present`, which validation collects on its way through), so the engine fills the rest from
 * their defaults (NULL for metrics) without us shipping zeros. Derived columns, when given, go last;
 * `identity` is the part of the body without them (what the rows themselves say), so a default
 * deduplication token does not depend on what the writer remembered of earlier batches.
 */
export function encodeNative(
  entity: Entity,
  rows: readonly SampleRow[],
  present: ReadonlySet<string>,
  derived?: DerivedInput,
): { body: Buffer; columns: string[]; identity: Buffer } {
  const n = rows.length;
  const cols = nativeLayout(entity).filter((c) => c.name === 'ts' || c.kind === 'String' || present.has(c.name));
  const extra = derived ? derivedLayout(entity).filter((c) => c.kind === 'Flag' || derived.present.has(c.name)) : [];
  const sink = new ByteSink(64 + n * (8 + (cols.length + extra.length) * 6));
  sink.varUInt(cols.length + extra.length);
  sink.varUInt(n);
  const start = sink.pos;
  const stringCache = new Map<string, Buffer>();
  for (const c of cols) writeColumn(sink, c, rows, stringCache);
  const end = sink.pos;
  for (const c of extra) writeColumn(sink, c, derived!.rows, stringCache);
  return {
    body: sink.buf.subarray(0, sink.pos),
    columns: [...cols, ...extra].map((c) => c.name),
    identity: sink.buf.subarray(start, end),
  };
}

function writeColumn(sink: ByteSink, c: NativeColumn, rows: readonly Cells[], stringCache: Map<string, Buffer>): void {
  const n = rows.length;
  sink.string(c.name);
  sink.string(c.chType);
  switch (c.kind) {
    case 'DateTime64':
      fill64(sink.reserve(n * 8), rows, c.name, null, true);
      break;
    case 'String':
      for (let i = 0; i < n; i++) {
        const v = rows[i]![c.name];
        const s = typeof v === 'string' ? v : '';
        let enc = stringCache.get(s);
        if (!enc) {
          const bytes = Buffer.from(s, 'utf8');
          const head: number[] = [];
          let len = bytes.length;
          while (len >= 0x80) {
            head.push((len & 0x7f) | 0x80);
            len >>>= 7;
          }
          head.push(len);
          enc = Buffer.concat([Buffer.from(head), bytes]);
          stringCache.set(s, enc);
        }
        sink.bytes(enc);
      }
      break;
    case 'UInt16Label': {
      const view = sink.reserve(n * 2);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![c.name];
        view.writeUInt16LE(typeof v === 'number' ? v : 0, i * 2);
      }
      break;
    }
    case 'Flag': {
      const view = sink.reserve(n);
      for (let i = 0; i < n; i++) view[i] = rows[i]![c.name] === 1 ? 1 : 0;
      break;
    }
    default: {
      // Reserve both halves before taking views: a later reallocation would orphan the first view.
      sink.ensure(n * (1 + WIDTH[c.kind]));
      const nulls = sink.reserve(n);
      const values = sink.reserve(n * WIDTH[c.kind]);
      fillNumbers(values, rows, c.name, c.kind, nulls);
    }
  }
}
