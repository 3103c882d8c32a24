import type { SampleColumn, SampleColumns, StringColumn } from './columns.js';

/** A label a builder fills: a string label (dictionary-encoded) or a numeric one (gpu_index). */
export interface LabelField {
  readonly name: string;
  readonly kind: 'string' | 'number';
}

export interface ColumnsBuilderSpec {
  /** The batch's one `source`. */
  readonly source: string;
  readonly labels: readonly LabelField[];
  readonly metrics: readonly string[];
  /** Rows the arrays start with; they double when full. Default 1024. */
  readonly capacity?: number;
}

/**
 * A dictionary that lives as long as its builder. Its entries are only ever appended, so every
 * batch the builder hands out may share the one array: a code, once given, always names the same
 * string. A source that emits the same series in the same order each time (the twin) finds most
 * values by position in the previous batch, comparing one string instead of hashing it.
 */
class Dictionary {
  readonly dict: string[] = [];
  private readonly index = new Map<string, number>();
  private prev: string[] = [];
  private prevCodes: Uint32Array = new Uint32Array(0);
  codes: Uint32Array;
  constructor(capacity: number) {
    this.codes = new Uint32Array(capacity);
  }
  add(i: number, v: string): void {
    if (i < this.prevCodes.length && this.prev[i] === v) {
      this.codes[i] = this.prevCodes[i]!;
      return;
    }
    let c = this.index.get(v);
    if (c === undefined) {
      c = this.dict.length;
      this.dict.push(v);
      this.index.set(v, c);
    }
    this.codes[i] = c;
    this.prev[i] = v;
  }
  /** Hands out the first `n` codes and starts a fresh array; they become the position cache. */
  take(n: number, capacity: number): StringColumn {
    const codes = this.codes.subarray(0, n);
    this.prevCodes = codes;
    this.prev.length = Math.min(this.prev.length, n);
    this.codes = new Uint32Array(capacity);
    return { dict: this.dict, codes };
  }
  grow(capacity: number): void {
    this.codes = grown(this.codes, capacity);
  }
}

function grown<A extends Float64Array | Uint32Array | Uint8Array>(a: A, capacity: number): A {
  const out = new (a.constructor as new (n: number) => A)(capacity);
  out.set(a);
  return out;
}

/**
 * Builds a SampleColumns row by row into growable typed arrays and dictionary-encoded label
 * columns: a source that produces many rows (the twin: 10,240 GPUs a tick) hands the store columns
 * without building a row object per sample, which then cost more to validate and transpose than to
 * write. `take()` hands out what was appended and starts again; the arrays handed out are the
 * builder's no longer, so a batch stays valid however long a spool holds it.
 */
export class SampleColumnsBuilder {
  private n = 0;
  private cap: number;
  private ts: Float64Array;
  private readonly strings: (Dictionary | undefined)[];
  private labelNumbers: (Float64Array | undefined)[];
  private metrics: Float64Array[];
  private nulls: (Uint8Array | undefined)[];

  constructor(private readonly spec: ColumnsBuilderSpec) {
    const cap = Math.max(1, spec.capacity ?? 1024);
    this.cap = cap;
    this.ts = new Float64Array(cap);
    this.strings = spec.labels.map((l) => (l.kind === 'string' ? new Dictionary(cap) : undefined));
    this.labelNumbers = spec.labels.map((l) => (l.kind === 'number' ? new Float64Array(cap) : undefined));
    this.metrics = spec.metrics.map(() => new Float64Array(cap));
    this.nulls = spec.metrics.map(() => undefined);
  }

  /** Rows appended since the last take(). */
  get rows(): number {
    return this.n;
  }

  /**
   * Appends one row: `labels[k]` belongs to `spec.labels[k]`, `metrics[k]` to `spec.metrics[k]`
   * (null: absent, stored as NULL). A value of the wrong kind throws, naming the column.
   */
  append(ts: number, labels: readonly (string | number)[], metrics: ArrayLike<number | null>): void {
    if (this.n === this.cap) this.grow(this.cap * 2);
    const i = this.n;
    const spec = this.spec;
    for (let k = 0; k < spec.labels.length; k++) {
      const v = labels[k];
      const dict = this.strings[k];
      if (dict) {
        if (typeof v !== 'string')
          throw new TypeError(`columns builder: label "${spec.labels[k]!.name}" must be a string, got ${typeof v}`);
        dict.add(i, v);
      } else {
        if (typeof v !== 'number')
          throw new TypeError(`columns builder: label "${spec.labels[k]!.name}" must be a number, got ${typeof v}`);
        this.labelNumbers[k]![i] = v;
      }
    }
    for (let k = 0; k < spec.metrics.length; k++) {
      const v = metrics[k];
      if (typeof v === 'number') this.metrics[k]![i] = v;
      else if (v === null) (this.nulls[k] ??= new Uint8Array(this.cap))[i] = 1;
      else
        throw new TypeError(`columns builder: metric "${spec.metrics[k]!}" must be a number or null, got ${typeof v}`);
    }
    this.ts[i] = ts;
    this.n = i + 1;
  }

  /** The rows appended so far as a batch, and a fresh start. */
  take(): SampleColumns {
    const n = this.n;
    const spec = this.spec;
    // The next batch is likely the same size: start there, so a steady source never grows.
    const cap = Math.max(1, n);
    const columns: Record<string, SampleColumn> = {};
    for (let k = 0; k < spec.labels.length; k++) {
      const name = spec.labels[k]!.name;
      const dict = this.strings[k];
      if (dict) columns[name] = dict.take(n, cap);
      else columns[name] = { values: this.labelNumbers[k]!.subarray(0, n) };
    }
    for (let k = 0; k < spec.metrics.length; k++) {
      const nulls = this.nulls[k];
      columns[spec.metrics[k]!] = {
        values: this.metrics[k]!.subarray(0, n),
        ...(nulls ? { nulls: nulls.subarray(0, n) } : {}),
      };
    }
    const out: SampleColumns = { rows: n, ts: this.ts.subarray(0, n), source: spec.source, columns };
    this.n = 0;
    this.cap = cap;
    this.ts = new Float64Array(cap);
    this.labelNumbers = this.labelNumbers.map((a) => (a ? new Float64Array(cap) : undefined));
    this.metrics = this.metrics.map(() => new Float64Array(cap));
    this.nulls = this.nulls.map(() => undefined);
    return out;
  }

  private grow(cap: number): void {
    this.cap = cap;
    this.ts = grown(this.ts, cap);
    for (const d of this.strings) d?.grow(cap);
    this.labelNumbers = this.labelNumbers.map((a) => (a ? grown(a, cap) : undefined));
    this.metrics = this.metrics.map((a) => grown(a, cap));
    this.nulls = this.nulls.map((a) => (a ? grown(a, cap) : undefined));
  }
}
