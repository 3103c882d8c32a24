/**
 * The spool file of a column batch: the batch's typed arrays as they are in memory, behind a JSON
 * header that names them, so a replayed batch is the batch that was spooled, bit for bit (floats,
 * NULL flags, dictionary strings), with no text formatting on the way out or parsing on the way back.
 *
 *   "MRDNCOL1" | u32 header bytes | u32 CRC-32 of everything after it | header JSON | pad to 8 | arrays
 *
 * Each array starts on an 8-byte boundary of the data part and is stored little-endian, the CPU's
 * order (the store's Native encoder already refuses a big-endian CPU). The CRC catches a torn or
 * flipped file, which then goes to `corrupt/` like an unreadable row file.
 */
import { crc32 } from 'node:zlib';
import type { Entity } from '@meridian/catalog';
import type { NumberColumn, NumericArray, SampleColumn, SampleColumns, StringColumn } from '@meridian/store';
import { columnBatch } from '../pipeline/column-batch.js';
import type { Batch } from '../pipeline/types.js';

const MAGIC = Buffer.from('MRDNCOL1', 'latin1');
const PREFIX = MAGIC.length + 8;
const ENTITY_TARGETS: readonly string[] = ['gpu', 'host', 'link'];

const ARRAYS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Uint16Array,
  Uint8Array,
} as const;
type ArrayType = keyof typeof ARRAYS;
type AnyArray = InstanceType<(typeof ARRAYS)[ArrayType]>;

/** Where an array lies in the data part. */
interface Ref {
  readonly type: ArrayType;
  readonly offset: number;
  readonly length: number;
}
type StoredString = { readonly dict: readonly string[]; readonly codes: Ref };
type StoredColumn = StoredString | { readonly values: Ref; readonly nulls?: Ref };

interface Header {
  readonly v: 2;
  readonly target: Entity;
  readonly seq: number;
  readonly token: string;
  readonly createdAt: number;
  readonly rows: number;
  readonly dataBytes: number;
  readonly ts: Ref;
  readonly source: string | StoredString;
  readonly columns: readonly (readonly [string, StoredColumn])[];
}

export function isColumnFile(data: Buffer): boolean {
  return data.length >= MAGIC.length && data.subarray(0, MAGIC.length).equals(MAGIC);
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** The file's bytes as parts to write in order (the arrays are views, not copies) and their total. */
export function encodeColumnFile(batch: Batch & { columns: SampleColumns }): { parts: Buffer[]; bytes: number } {
  const c = batch.columns;
  const arrays: Buffer[] = [];
  let offset = 0;
  const put = (a: AnyArray | NumericArray): Ref => {
    const type = a.constructor.name as ArrayType;
    if (!(type in ARRAYS)) throw new Error(`spool: cannot store a ${type} column`);
    const view = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const ref = { type, offset, length: a.length };
    arrays.push(view);
    offset += view.length;
    const gap = pad8(offset);
    if (gap) arrays.push(Buffer.alloc(gap));
    offset += gap;
    return ref;
  };
  const putString = (s: StringColumn): StoredString => ({ dict: s.dict, codes: put(s.codes) });
  const columns = Object.entries(c.columns).map(([name, col]): [string, StoredColumn] => [
    name,
    'codes' in col ? putString(col) : { values: put(col.values), ...(col.nulls ? { nulls: put(col.nulls) } : {}) },
  ]);
  const ts = put(c.ts);
  const source = typeof c.source === 'string' ? c.source : putString(c.source);
  // After every put: the data part's length is known only now.
  const header: Header = {
    v: 2,
    target: batch.target,
    seq: batch.seq,
    token: batch.token,
    createdAt: batch.createdAt,
    rows: c.rows,
    dataBytes: offset,
    ts,
    source,
    columns,
  };
  const json = Buffer.from(JSON.stringify(header));
  const body = [json, Buffer.alloc(pad8(PREFIX + json.length)), ...arrays];
  let crc = 0;
  for (const b of body) crc = crc32(b, crc);
  const prefix = Buffer.alloc(PREFIX);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(json.length, MAGIC.length);
  prefix.writeUInt32LE(crc, MAGIC.length + 4);
  const parts = [prefix, ...body];
  return { parts, bytes: parts.reduce((n, b) => n + b.length, 0) };
}

/** The batch a column file holds; throws, saying what is wrong, when the file is not whole. */
export function decodeColumnFile(data: Buffer): Batch {
  if (data.length < PREFIX) throw new Error(`truncated: ${data.length} bytes, shorter than the file's prefix`);
  const headerBytes = data.readUInt32LE(MAGIC.length);
  const crc = data.readUInt32LE(MAGIC.length + 4);
  const dataStart = PREFIX + headerBytes + pad8(PREFIX + headerBytes);
  if (dataStart > data.length) throw new Error(`truncated: header of ${headerBytes} bytes runs past the end`);
  const h = JSON.parse(data.toString('utf8', PREFIX, PREFIX + headerBytes)) as Partial<Header>;
  if (h.v !== 2) throw new Error(`unknown column file version ${String(h.v)}`);
  if (typeof h.dataBytes !== 'number' || data.length !== dataStart + h.dataBytes)
    throw new Error(`truncated: ${data.length} bytes, the header says ${dataStart + Number(h.dataBytes)}`);
  if (crc32(data.subarray(PREFIX)) !== crc) throw new Error('checksum mismatch: the file was changed or torn');
  if (typeof h.token !== 'string' || !ENTITY_TARGETS.includes(String(h.target)))
    throw new Error('column file lacks its token or a sample target');
  const rows = Number(h.rows);
  const dataPart = data.subarray(dataStart);
  const get = (ref: Ref | undefined, what: string): AnyArray => {
    const Ctor = ref && Object.hasOwn(ARRAYS, ref.type) ? ARRAYS[ref.type] : undefined;
    if (!ref || !Ctor) throw new Error(`${what}: missing or of an unknown array type`);
    const end = ref.offset + ref.length * Ctor.BYTES_PER_ELEMENT;
    if (ref.length !== rows || !(ref.offset >= 0 && end <= dataPart.length))
      throw new Error(`${what}: ${ref.length} values at ${ref.offset} do not fit ${rows} rows in the file`);
    // A copy, aligned for its type (the file's buffer need not be).
    const out = new Ctor(ref.length);
    Buffer.from(out.buffer).set(dataPart.subarray(ref.offset, end));
    return out;
  };
  const getString = (s: StoredString, what: string): StringColumn => {
    if (!Array.isArray(s.dict) || !s.dict.every((d) => typeof d === 'string'))
      throw new Error(`${what}: dictionary is not a list of strings`);
    const codes = get(s.codes, `${what} codes`);
    if (codes instanceof Float64Array || codes instanceof Float32Array || codes instanceof Int32Array)
      throw new Error(`${what} codes: must be unsigned integers`);
    return { dict: s.dict, codes };
  };
  const columns: Record<string, SampleColumn> = {};
  for (const [name, col] of h.columns ?? []) {
    columns[name] =
      'codes' in col
        ? getString(col, `column ${name}`)
        : ({
            values: get(col.values, `column ${name}`),
            ...(col.nulls ? { nulls: get(col.nulls, `column ${name} nulls`) } : {}),
          } as NumberColumn);
  }
  const source = typeof h.source === 'string' ? h.source : getString(h.source as StoredString, 'source');
  const ts = get(h.ts, 'ts');
  if (!(ts instanceof Float64Array)) throw new Error('ts: must be a Float64Array');
  const head = { target: h.target as Entity, seq: Number(h.seq), token: h.token, createdAt: Number(h.createdAt) };
  return columnBatch(head, { rows, ts, source, columns });
}
