import {
  isStringColumn,
  sourceColumn,
  type NumberColumn,
  type NumericArray,
  type SampleColumn,
  type SampleColumns,
  type StringColumn,
} from './columns.js';
import type { SampleRow } from './types.js';

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
