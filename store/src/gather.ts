import type { ValueType } from '@meridian/catalog';
import type { NumericArray } from './columns.js';

/**
 * The order rows go into a block: row j of the block is row `order[j]` of the batch (null: as they
 * came). The encoder and the increase tracker read through it, so a batch is put in series order
 * without a reordered copy of every column (see order.ts).
 */
export type RowOrder = Uint32Array | null;

/** values[order[j]] for every j, into `out` (a Float64Array, so the store is monomorphic). */
function gatherNumbers(out: Float64Array, values: NumericArray, order: Uint32Array): Float64Array {
  for (let j = 0; j < out.length; j++) out[j] = values[order[j]!]!;
  return out;
}

/**
 * A numeric column's `n` values in the block's order: the column itself when there is no order,
 * else gathered into the scratch's Float64 array (valid until the next call).
 */
export function inOrder(values: NumericArray, n: number, order: RowOrder): NumericArray {
  return order ? gatherNumbers(scratch.gathered(n), values, order) : values;
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
 * Two arrays of 8 bytes a row, reused by every column of a block and by every block after it: one
 * for the values gathered in the block's order, one for them converted to the column's type (or
 * split into 32-bit words, for 64-bit integers). Encoding is synchronous, so one pair serves the
 * whole process; it grows to the largest block seen and is kept (16 MB after a 1 M-row block, 160 kB
 * for the collector's 10,000-row batches), because arrays of that size made fresh per block cost
 * their page faults and the full garbage collections their external memory triggers.
 */
class Scratch {
  private a = new ArrayBuffer(0);
  private b = new ArrayBuffer(0);

  gathered(n: number): Float64Array {
    return new Float64Array((this.a = atLeast(this.a, n * 8)), 0, n);
  }

  converted(type: Converted, n: number): NumericArray {
    return new ARRAY_OF[type]((this.b = atLeast(this.b, n * 8)), 0, n);
  }

  words(n: number): Uint32Array {
    return new Uint32Array((this.b = atLeast(this.b, n * 8)), 0, 2 * n);
  }
}

/** `buf`, or a larger one when it holds fewer than `bytes` (its contents need not be kept). */
function atLeast(buf: ArrayBuffer, bytes: number): ArrayBuffer {
  return buf.byteLength >= bytes ? buf : new ArrayBuffer(bytes);
}

/** The process's scratch arrays (see Scratch). */
export const scratch = new Scratch();
