import type { StringColumn } from './columns.js';
import type { RowOrder } from './gather.js';

/**
 * String columns of a Native block. Most labels are LowCardinality(String) in the tables, and the
 * engine takes that type in Native as it writes it itself: a dictionary and one small integer per
 * row. So each distinct string is encoded once per batch and a row costs a byte or two, copied as a
 * typed array, instead of its whole text (the per-row byte copy was most of the encoder's time).
 */

/** A column part's body: its exact byte count, and how to fill exactly that many bytes. */
export interface StringBody {
  readonly size: number;
  readonly write: (view: Buffer) => void;
}

/** Varint length prefix and UTF-8 bytes, as Native writes a String value. */
function encodeString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const head: number[] = [];
  let len = bytes.length;
  while (len >= 0x80) {
    head.push((len & 0x7f) | 0x80);
    len >>>= 7;
  }
  head.push(len);
  return Buffer.concat([Buffer.from(head), bytes]);
}

/** Plain String: each dictionary entry encoded once, its bytes copied per row (in `order`, if given). */
export function plainStringBody(col: StringColumn, n: number, order: RowOrder = null): StringBody {
  const encoded = col.dict.map(encodeString);
  const codes = col.codes;
  let size = 0;
  for (let i = 0; i < n; i++) size += encoded[codes[i]!]!.length;
  const write = (view: Buffer): void => {
    let p = 0;
    for (let j = 0; j < n; j++) {
      const e = encoded[codes[order ? order[j]! : j]!]!;
      const len = e.length;
      for (let b = 0; b < len; b++) view[p++] = e[b]!;
    }
  };
  return { size, write };
}

// SerializationLowCardinality: the shared-dictionary-with-additional-keys version, then per block
// the index width (0..2 = UInt8/16/32) with "has additional keys" and "update dictionary" set.
const KEYS_VERSION = 1;
const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEED_UPDATE_DICTIONARY = 1 << 10;

/**
 * The batch's own dictionary, as the engine builds one: '' first (the type's default), then each
 * string in order of first use in the block (rows in `order`, if given). Entries no row uses are
 * dropped and repeated entries merged, so the bytes depend only on the rows' values (the default
 * deduplication token hashes them). Returns the keys and, per dictionary code, its key (-1: unused).
 * The rows are walked only until every code has been seen: a label's dictionary is usually used
 * whole within the first rows.
 */
function compact(col: StringColumn, n: number, order: RowOrder): { keys: string[]; slot: Int32Array } {
  const { dict, codes } = col;
  const slot = new Int32Array(dict.length).fill(-1);
  const seen = new Map<string, number>([['', 0]]);
  const keys = [''];
  let unseen = dict.length;
  for (let i = 0; i < n && unseen > 0; i++) {
    const c = codes[order ? order[i]! : i]!;
    if (slot[c]! >= 0) continue;
    const s = dict[c]!;
    let k = seen.get(s) ?? -1;
    if (k < 0) {
      k = keys.length;
      keys.push(s);
      seen.set(s, k);
    }
    slot[c] = k;
    unseen--;
  }
  return { keys, slot };
}

/**
 * LowCardinality(String): version, index width and flags, the dictionary, then the row indexes (rows
 * in `order`, if given), written straight into the block little-endian: a 1 M-row block has seven
 * such columns, and an index array per column was 28 MB of garbage a block.
 */
export function lowCardinalityBody(col: StringColumn, n: number, order: RowOrder = null): StringBody {
  const { keys, slot } = compact(col, n, order);
  const width = keys.length <= 0x100 ? 0 : keys.length <= 0x10000 ? 1 : 2;
  const encoded = keys.map(encodeString);
  const keyBytes = encoded.reduce((s, e) => s + e.length, 0);
  const size = 8 * 4 + keyBytes + n * (1 << width);
  const write = (view: Buffer): void => {
    view.writeBigUInt64LE(BigInt(KEYS_VERSION), 0);
    view.writeBigUInt64LE(BigInt(width | HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY), 8);
    view.writeBigUInt64LE(BigInt(keys.length), 16);
    let p = 24;
    for (const e of encoded) p += e.copy(view, p);
    view.writeBigUInt64LE(BigInt(n), p);
    p += 8;
    const codes = col.codes;
    const bytes = 1 << width;
    for (let j = 0; j < n; j++, p += bytes) {
      const k = slot[codes[order ? order[j]! : j]!]!;
      view[p] = k & 0xff;
      if (width === 0) continue;
      view[p + 1] = (k >>> 8) & 0xff;
      if (width === 1) continue;
      view[p + 2] = (k >>> 16) & 0xff;
      view[p + 3] = k >>> 24;
    }
  };
  return { size, write };
}
