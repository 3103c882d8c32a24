import type { ValueType } from '@meridian/catalog';
import type { NumericArray } from './columns.js';

/**
 * The order rows go into a block: row j of the block is row `order[j]` of the batch (null: as they
 * came). The encoder and the increase tracker read through it, so a batch is put in series order
 * without a reordered copy of every column (see order.ts).
 */
export type RowOrder = Uint32Array | null;

/** values[order[j]] for every j, into `out` (a Float64Array, so the store is monomorphic). */
export function gatherNumbers(out: Float64Array, values: NumericArray, order: Uint32Array): Float64Array {
  for (let j = 0; j < out.length; j++) out[j] = values[order[j]!]!;
  return out;
}

/** bytes[order[j]] for every j, into the first `order.length` bytes of `out`. */
export function gatherBytes(out: Uint8Array, bytes: Uint8Array, order: Uint32Array): void {
  for (let j = 0; j < order.length; j++) out[j] = bytes[order[j]!]!;
}

type Converted = Exclude<ValueType, 'UInt64'>;

/** The typed array that holds each column type other than UInt64 (which goes as two 32-bit words). */
export const ARRAY_OF: Record<Converted, new (buf: ArrayBuffer, offset: number, length: number) => NumericArray> = {
  Float32: Float32Array,
  Float64: Float64Array,
  UInt8: Uint8Array,
  UInt16: Uint16Array,
  UInt32: Uint32Array,
  Int32: Int32Array,
};

/**
 * Two arrays of 8 bytes a row, made on first use and reused by every column of a block: one for the
 * values gathered in the block's order, one for them converted to the column's type (or split into
 * 32-bit words, for 64-bit integers).
 */
export class Scratch {
  private a: ArrayBuffer | undefined;
  private b: ArrayBuffer | undefined;

  constructor(private readonly rows: number) {}

  gathered(n: number): Float64Array {
    return new Float64Array((this.a ??= new ArrayBuffer(this.rows * 8)), 0, n);
  }

  converted(type: Converted, n: number): NumericArray {
    return new ARRAY_OF[type]((this.b ??= new ArrayBuffer(this.rows * 8)), 0, n);
  }

  words(n: number): Uint32Array {
    return new Uint32Array((this.b ??= new ArrayBuffer(this.rows * 8)), 0, 2 * n);
  }
}
