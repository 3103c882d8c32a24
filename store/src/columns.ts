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
