import { labelsOf, type Entity } from '@meridian/catalog';
import type { SampleRow } from './types.js';

/** The typed arrays a numeric column may come in; values are converted to the table's type on encode. */
export type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * A numeric column: one value per row, and where some rows have none, `nulls` (1 = absent, stored as
 * NULL). The value under a null is ignored but still encoded, so keep it deterministic (0).
 */
export interface NumberColumn {
  readonly values: NumericArray;
  readonly nulls?: Uint8Array;
}

/** A dictionary-encoded string column: row i holds `dict[codes[i]]`. */
export interface StringColumn {
  readonly dict: readonly string[];
  readonly codes: Uint8Array | Uint16Array | Uint32Array;
}

export type SampleColumn = NumberColumn | StringColumn;

/**
 * A batch of samples as columns, the shape the twin and the benches hold: `ts` in epoch milliseconds,
 * `source` (one for the batch, or per row), and any of the entity's labels and catalog metrics by
 * name. Every column has `rows` entries. A column left out is absent in every row: NULL for metrics,
 * the label's default ('' or 0) for labels.
 */
export interface SampleColumns {
  readonly rows: number;
  readonly ts: Float64Array;
  readonly source: string | StringColumn;
  readonly columns: Readonly<Record<string, SampleColumn>>;
}

export function isStringColumn(c: SampleColumn): c is StringColumn {
  return (c as StringColumn).dict !== undefined;
}

/** Builds a string column from values, for callers (and tests) that hold plain strings. */
export function stringColumn(values: readonly string[]): StringColumn {
  const index = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let c = index.get(v);
    if (c === undefined) {
      c = dict.length;
      dict.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { dict, codes };
}

/** The string column of one value repeated: what a constant label or source costs as a column. */
export function constantColumn(value: string, rows: number): StringColumn {
  return { dict: [value], codes: new Uint8Array(rows) };
}

/** The source column of a batch as a string column. */
export function sourceColumn(batch: SampleColumns): StringColumn {
  return typeof batch.source === 'string' ? constantColumn(batch.source, batch.rows) : batch.source;
}

/** Builds a dictionary column value by value; a run of one value (a constant label) skips the lookup. */
class Interner {
  private readonly index = new Map<string, number>();
  private readonly dict: string[] = [];
  private last: string | undefined;
  private lastCode = 0;
  readonly codes: Uint32Array;
  constructor(n: number) {
    this.codes = new Uint32Array(n);
  }
  add(i: number, v: string): void {
    if (v !== this.last) {
      let c = this.index.get(v);
      if (c === undefined) {
        c = this.dict.length;
        this.dict.push(v);
        this.index.set(v, c);
      }
      this.last = v;
      this.lastCode = c;
    }
    this.codes[i] = this.lastCode;
  }
  column(): StringColumn {
    return { dict: this.dict, codes: this.codes };
  }
}

/**
 * Turns validated rows into columns (the row API is built on the column writer). Only the columns
 * `present` names (some row sets them) become metric columns; every string label becomes a column,
 * '' where a row lacks it, as the engine's default would be.
 *
 * One pass over the rows, each row's fields read together: a pass per column touched every row
 * object once per column, and on batches of 100k rows that cache traffic was most of the row API's
 * cost.
 */
export function rowsToColumns(entity: Entity, rows: readonly SampleRow[], present: ReadonlySet<string>): SampleColumns {
  const n = rows.length;
  const ts = new Float64Array(n);
  const labels = labelsOf(entity);
  const stringNames = ['source', ...labels.filter((l) => l.type !== 'UInt16').map((l) => l.name)];
  const numberNames = [
    ...labels.filter((l) => l.type === 'UInt16' && present.has(l.name)).map((l) => l.name),
    ...[...present].filter((name) => !labels.some((l) => l.name === name)),
  ];
  const strings = stringNames.map(() => new Interner(n));
  const values = numberNames.map(() => new Float64Array(n));
  const nulls = numberNames.map(() => new Uint8Array(n));
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    ts[i] = row.ts;
    for (let k = 0; k < stringNames.length; k++) {
      const v = row[stringNames[k]!];
      strings[k]!.add(i, typeof v === 'string' ? v : '');
    }
    for (let k = 0; k < numberNames.length; k++) {
      const v = row[numberNames[k]!];
      if (typeof v === 'number') values[k]![i] = v;
      else nulls[k]![i] = 1;
    }
  }
  const columns: Record<string, SampleColumn> = {};
  for (let k = 1; k < stringNames.length; k++) columns[stringNames[k]!] = strings[k]!.column();
  for (let k = 0; k < numberNames.length; k++) columns[numberNames[k]!] = { values: values[k]!, nulls: nulls[k]! };
  return { rows: n, ts, source: strings[0]!.column(), columns };
}

/** Keeps the rows whose `keep` flag is 1, in order: used when validation refuses some rows. */
export function selectRows(batch: SampleColumns, keep: Uint8Array): SampleColumns {
  const idx: number[] = [];
  for (let i = 0; i < batch.rows; i++) if (keep[i] === 1) idx.push(i);
  return takeRows(batch, idx);
}

type RowArray = NumericArray | Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** The values at `idx`, in that order, in an array of the same type. */
export function take<A extends RowArray>(a: A, idx: ArrayLike<number>): A {
  const out = new (a.constructor as new (n: number) => A)(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = a[idx[j]!]!;
  return out;
}

/** The rows at `idx`, in that order (a subset, a reordering, or both). */
export function takeRows(batch: SampleColumns, idx: ArrayLike<number>): SampleColumns {
  const columns: Record<string, SampleColumn> = {};
  for (const [name, c] of Object.entries(batch.columns)) {
    columns[name] = isStringColumn(c)
      ? { dict: c.dict, codes: take(c.codes, idx) }
      : { values: take(c.values, idx), ...(c.nulls ? { nulls: take(c.nulls, idx) } : {}) };
  }
  const source =
    typeof batch.source === 'string' ? batch.source : { dict: batch.source.dict, codes: take(batch.source.codes, idx) };
  return { rows: idx.length, ts: take(batch.ts, idx), source, columns };
}

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

/** Rows `start` to `end` (exclusive) of a batch, as views of its arrays: nothing is copied. */
export function sliceColumns(batch: SampleColumns, start: number, end: number): SampleColumns {
  if (!(start >= 0 && start <= end && end <= batch.rows))
    throw new RangeError(`sliceColumns: rows ${start}..${end} are outside a batch of ${batch.rows}`);
  const columns: Record<string, SampleColumn> = {};
  for (const [name, c] of Object.entries(batch.columns)) {
    columns[name] = isStringColumn(c)
      ? { dict: c.dict, codes: c.codes.subarray(start, end) }
      : { values: c.values.subarray(start, end), ...(c.nulls ? { nulls: c.nulls.subarray(start, end) } : {}) };
  }
  const source =
    typeof batch.source === 'string'
      ? batch.source
      : { dict: batch.source.dict, codes: batch.source.codes.subarray(start, end) };
  return { rows: end - start, ts: batch.ts.subarray(start, end), source, columns };
}

/**
 * One batch of the rows of several, in order. Numbers keep their array type where every part has
 * the same one (else Float64Array); a column some part lacks is absent in its rows (NULL for a
 * number, '' for a string), as it would be in that part alone. Dictionaries are merged; parts that
 * share one dictionary (a builder's) keep its codes as they are. A name that is a string column in
 * one part and a number column in another throws, naming it.
 */
export function concatColumns(parts: readonly SampleColumns[]): SampleColumns {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.rows;
  const ts = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    ts.set(p.ts.subarray(0, p.rows), at);
    at += p.rows;
  }
  const names: string[] = [];
  const kinds = new Map<string, boolean>();
  for (const p of parts)
    for (const [name, c] of Object.entries(p.columns)) {
      const str = isStringColumn(c);
      const seen = kinds.get(name);
      if (seen === undefined) {
        kinds.set(name, str);
        names.push(name);
      } else if (seen !== str)
        throw new Error(`concatColumns: column "${name}" is a string column in one part and numeric in another`);
    }
  const columns: Record<string, SampleColumn> = {};
  for (const name of names) {
    const cols = parts.map((p) => p.columns[name]);
    columns[name] = kinds.get(name)
      ? concatStrings(cols as (StringColumn | undefined)[], parts, n)
      : concatNumbers(cols as (NumberColumn | undefined)[], parts, n);
  }
  const first = parts[0]?.source;
  const oneSource = typeof first === 'string' && parts.every((p) => p.source === first);
  const source = oneSource ? first : concatStrings(parts.map(sourceColumn), parts, n);
  return { rows: n, ts, source, columns };
}

function concatNumbers(
  cols: readonly (NumberColumn | undefined)[],
  parts: readonly SampleColumns[],
  n: number,
): NumberColumn {
  const ctor = cols[0]?.values.constructor;
  const same = cols.every((c) => c !== undefined && c.values.constructor === ctor);
  const values: NumericArray = same ? new (ctor as new (n: number) => NumericArray)(n) : new Float64Array(n);
  const needNulls = cols.some((c) => c === undefined || c.nulls !== undefined);
  const nulls = needNulls ? new Uint8Array(n) : undefined;
  let at = 0;
  cols.forEach((c, j) => {
    const rows = parts[j]!.rows;
    if (c === undefined) nulls!.fill(1, at, at + rows);
    else {
      values.set(c.values.subarray(0, rows), at);
      if (c.nulls) nulls!.set(c.nulls.subarray(0, rows), at);
    }
    at += rows;
  });
  return nulls ? { values, nulls } : { values };
}

function concatStrings(
  cols: readonly (StringColumn | undefined)[],
  parts: readonly SampleColumns[],
  n: number,
): StringColumn {
  const shared = cols[0]?.dict;
  if (shared && cols.every((c) => c?.dict === shared)) {
    // One builder's dictionary: it only grows, so the codes of every part index it as they are.
    const codes = new Uint32Array(n);
    let at = 0;
    cols.forEach((c, j) => {
      codes.set(c!.codes.subarray(0, parts[j]!.rows), at);
      at += parts[j]!.rows;
    });
    return { dict: shared.slice(), codes };
  }
  const dict: string[] = [];
  const index = new Map<string, number>();
  const code = (s: string): number => {
    let c = index.get(s);
    if (c === undefined) {
      c = dict.length;
      dict.push(s);
      index.set(s, c);
    }
    return c;
  };
  const codes = new Uint32Array(n);
  let at = 0;
  let lastDict: readonly string[] | undefined;
  let remap: number[] = [];
  cols.forEach((c, j) => {
    const rows = parts[j]!.rows;
    if (c === undefined) codes.fill(code(''), at, at + rows);
    else {
      if (c.dict !== lastDict) {
        remap = c.dict.map(code);
        lastDict = c.dict;
      }
      const src = c.codes;
      for (let i = 0; i < rows; i++) codes[at + i] = remap[src[i]!]!;
    }
    at += rows;
  });
  return { dict, codes };
}

/**
 * The rows of a batch as row objects (`ts`, `source`, then its columns in order; null where a
 * number is absent): for a reader that wants rows from a batch that travelled as columns.
 */
export function columnsToRows(batch: SampleColumns): SampleRow[] {
  const entries = Object.entries(batch.columns);
  const source = sourceColumn(batch);
  const rows: SampleRow[] = new Array<SampleRow>(batch.rows);
  for (let i = 0; i < batch.rows; i++) {
    const row: Record<string, string | number | null> = { ts: batch.ts[i]!, source: source.dict[source.codes[i]!]! };
    for (const [name, c] of entries) {
      if (isStringColumn(c)) row[name] = c.dict[c.codes[i]!]!;
      else row[name] = c.nulls && c.nulls[i] === 1 ? null : c.values[i]!;
    }
    rows[i] = row as SampleRow;
  }
  return rows;
}
