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
import {
  constantColumn,
  isStringColumn,
  sourceColumn,
  type NumberColumn,
  type SampleColumns,
  type StringColumn,
} from './columns.js';
import { ARRAY_OF, gatherBytes, inOrder, scratch, type RowOrder } from './gather.js';
import type { Derived } from './increments.js';
import { lowCardinalityBody, plainStringBody } from './native-strings.js';

/**
 * An encoder for ClickHouse's Native format (columnar: per column a name, a type, then the values),
 * for the wide sample tables. Native is the cheapest body the engine can take: numbers are copied as
 * typed arrays, so neither side formats or parses text. @clickhouse/client has no binary encoder,
 * so this is ours.
 *
 * It encodes column batches: numbers are copied typed array to typed array (converted to the
 * column's type by TypedArray#set, in native code), strings from their dictionaries, each entry
 * encoded once. Where the table has LowCardinality(String) the column is sent as that type (the
 * batch's dictionary and a small index per row, see native-strings.ts), else as String.
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

const LC_STRING = 'LowCardinality(String)';

const layouts = new Map<Entity, NativeColumn[]>();

/** The columns of a raw table, in the order the encoder writes them. */
export function nativeLayout(entity: Entity): NativeColumn[] {
  let cols = layouts.get(entity);
  if (!cols) {
    cols = [
      { name: 'ts', chType: "DateTime64(3, 'UTC')", kind: 'DateTime64', nullable: false },
      { name: 'source', chType: LC_STRING, kind: 'String', nullable: false },
      ...labelsOf(entity).map((l): NativeColumn =>
        l.type === 'UInt16'
          ? { name: l.name, chType: 'UInt16', kind: 'UInt16Label', nullable: false }
          : { name: l.name, chType: l.type, kind: 'String', nullable: false },
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

const TWO_32 = 4294967296;

/** Grows as needed; written front to back. */
class ByteSink {
  buf: Buffer;
  pos = 0;
  /** A new buffer of `size` bytes, or one to write into (from `pos`). */
  constructor(sizeOrBuf: number | Buffer) {
    this.buf = typeof sizeOrBuf === 'number' ? Buffer.allocUnsafe(sizeOrBuf) : sizeOrBuf;
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
 * through the aligned scratch words copied in once: the view into the sink may be unaligned.
 */
function fill64(view: Buffer, values: ArrayLike<number>, n: number, signed: boolean): void {
  const words = scratch.words(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v >= 0) {
      // ToUint32 truncates and wraps: the low word, and the high one below 2^53 (cheaper than floor).
      words[2 * i] = v >>> 0;
      words[2 * i + 1] = (v / TWO_32) >>> 0;
      continue;
    }
    const hi = Math.floor(v / TWO_32);
    words[2 * i] = v - hi * TWO_32;
    words[2 * i + 1] = signed ? hi | 0 : hi;
  }
  view.set(new Uint8Array(words.buffer, 0, n * 8));
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

/**
 * The values of a numeric column as the bytes of `type`, in `order` when given: gathered into the
 * scratch's Float64 array (one monomorphic loop), then converted by TypedArray#set in native code.
 * Nothing is allocated per column: a block of 1 M rows has ~30 of them, and fresh arrays of that
 * size (reordered copies and converted copies, ~400 MB a block) cost more in page faults and
 * garbage collection than the encoding itself.
 */
function fillNumbers(view: Buffer, values: NumberColumn['values'], n: number, type: ValueType, order: RowOrder): void {
  const src = inOrder(values, n, order);
  if (type === 'UInt64') return fill64(view, src, n, false);
  if (src instanceof ARRAY_OF[type]) {
    view.set(new Uint8Array(src.buffer, src.byteOffset, n * WIDTH[type]));
    return;
  }
  // Validation makes every column exactly n long.
  const out = scratch.converted(type, n);
  out.set(src);
  view.set(new Uint8Array(out.buffer, 0, n * WIDTH[type]));
}

/**
 * A block's own columns (ts, source, labels, metrics), encoded before its derived ones are known:
 * the writer encodes the next batch while the engine still inserts the previous one, and derives
 * increases only once that one is in (see prepare.ts). The buffer keeps room in front for
 * the block header and behind for every derived column, so finishing it copies nothing.
 */
export interface BaseBlock {
  readonly entity: Entity;
  readonly rows: number;
  readonly buf: Buffer;
  /** The base columns lie in [start, end). */
  readonly start: number;
  readonly end: number;
  readonly columns: readonly string[];
}

/** Room for the header: the column and row counts, two varUInts of at most 10 bytes each. */
const HEADER_ROOM = 20;

/**
 * Encodes a validated column batch's own columns: ts, source, every string label ('' where the
 * batch has none), then the numeric labels and metrics the batch has, so the engine fills the rest
 * from their defaults (NULL for metrics) without us shipping them. Rows go in `order` when given
 * (the block's row j is the batch's row order[j]). `alloc` gives the block's buffer (the writer's
 * BlockBuffers reuse one whose insert is done).
 */
export function encodeBase(
  entity: Entity,
  batch: SampleColumns,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
  order: RowOrder = null,
): BaseBlock {
  const n = batch.rows;
  const cols = nativeLayout(entity).filter(
    (c) => c.name === 'ts' || c.kind === 'String' || batch.columns[c.name] !== undefined,
  );
  const parts: Part[] = cols.map((c): Part => {
    if (c.kind === 'DateTime64')
      return { c, size: n * 8, write: (v) => fill64(v, inOrder(batch.ts, n, order), n, true) };
    if (c.name === 'source') return stringPart(c, sourceColumn(batch), n, order);
    const col = batch.columns[c.name];
    if (c.kind === 'String') return stringPart(c, col && isStringColumn(col) ? col : constantColumn('', n), n, order);
    return numberPart(c, col as NumberColumn, n, order);
  });
  // Sized exactly up front: growing a block of tens of MB copies it, which cost more than encoding.
  const derivedRoom = derivedLayout(entity).reduce((sum, c) => sum + partRoom(c, derivedSize(c, n)), 0);
  const sink = new ByteSink(alloc(parts.reduce((sum, p) => sum + partRoom(p.c, p.size), HEADER_ROOM + derivedRoom)));
  sink.pos = HEADER_ROOM;
  for (const p of parts) writePart(sink, p);
  return { entity, rows: n, buf: sink.buf, start: HEADER_ROOM, end: sink.pos, columns: parts.map((p) => p.c.name) };
}

/**
 * The part of a block that identifies the batch: its own columns, what the rows themselves say, so
 * a default deduplication token does not depend on what the writer remembered of earlier batches.
 */
export function blockIdentity(base: BaseBlock): Buffer {
  return base.buf.subarray(base.start, base.end);
}

/**
 * The whole Native block: the header, the base columns, then the derived ones (counter increases
 * some row has, and the two first-in-bucket flags) when given. May be called again for the same
 * base with other derived columns (a retry after the previous batch failed): it rewrites the same
 * bytes, so a body it returned before must no longer be in use.
 */
export function finishBlock(base: BaseBlock, derived?: Derived): { body: Buffer; columns: string[] } {
  const n = base.rows;
  const extra = derived
    ? derivedLayout(base.entity).filter((c) => c.kind === 'Flag' || derived.increases.has(c.name))
    : [];
  const sink = new ByteSink(base.buf);
  sink.pos = base.end;
  // The derived columns are already in the block's order (the tracker reads through it).
  for (const c of extra) {
    if (c.kind !== 'Flag') writePart(sink, numberPart(c, derived!.increases.get(c.name)!, n, null));
    else {
      const flags = c.name === FIRST_IN_MINUTE ? derived!.firstInMinute : derived!.firstInHour;
      writePart(sink, { c, size: n, write: (v) => v.set(flags) });
    }
  }
  const header = new ByteSink(HEADER_ROOM);
  header.varUInt(base.columns.length + extra.length);
  header.varUInt(n);
  const from = base.start - header.pos;
  header.buf.copy(sink.buf, from, 0, header.pos);
  return { body: sink.buf.subarray(from, sink.pos), columns: [...base.columns, ...extra.map((c) => c.name)] };
}

/** A column's bytes after its name and type. */
function derivedSize(c: NativeColumn, n: number): number {
  return c.kind === 'Flag' ? n : n + n * WIDTH[c.kind as ValueType];
}

/** A column's bytes with its name and type (varUInt lengths, generous for ASCII names). */
function partRoom(c: NativeColumn, size: number): number {
  return size + 2 * (c.name.length + c.chType.length + 4);
}

/** One column of a block: its byte count after the header, and how to fill exactly that many. */
interface Part {
  readonly c: NativeColumn;
  readonly size: number;
  readonly write: (view: Buffer) => void;
}

function writePart(sink: ByteSink, p: Part): void {
  sink.string(p.c.name);
  sink.string(p.c.chType);
  p.write(sink.reserve(p.size));
}

function numberPart(c: NativeColumn, col: NumberColumn, n: number, order: RowOrder): Part {
  const type: ValueType = c.kind === 'UInt16Label' ? 'UInt16' : (c.kind as ValueType);
  const width = n * WIDTH[type];
  const fill = (v: Buffer): void => fillNumbers(v, col.values, n, type, order);
  if (!c.nullable) return { c, size: width, write: fill };
  return {
    c,
    size: n + width,
    write: (v) => {
      if (!col.nulls) v.fill(0, 0, n);
      else if (order) gatherBytes(v, col.nulls, order);
      else v.set(col.nulls.subarray(0, n));
      fill(v.subarray(n));
    },
  };
}

/** A string column as its table's type: LowCardinality(String) (dictionary and indexes) or String. */
function stringPart(c: NativeColumn, col: StringColumn, n: number, order: RowOrder): Part {
  const body = c.chType === LC_STRING ? lowCardinalityBody(col, n, order) : plainStringBody(col, n, order);
  return { c, size: body.size, write: body.write };
}
