/**
 * `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]` → one gpu record per data line.
 *
 * Columns are mapped by name when there is a header (header names are canonical, so aliases are
 * resolved), and by the caller's field list when there is none (the streaming source knows what it
 * asked for). Units inside values are tolerated either way. A line whose column count differs from
 * the field list is refused as a whole: its columns cannot be attributed safely.
 */
import { isThrottled } from '@meridian/catalog';
import type { MetricDef } from '@meridian/catalog';
import { NVIDIA_SMI_QUERY_FIELDS, type FieldMapping } from './catalog-fields.js';
import { ColumnRecordBuilder, ValueShapes } from './column-record.js';
import { canonicalField, COLLECTOR_QUERY_FIELDS } from './nvidia-smi-fields.js';
import {
  catalogLabel,
  catalogMetric,
  RecordBuilder,
  type DocumentError,
  type ParsedRecord,
  type ParseResult,
} from './record.js';
import { isAbsentToken, normalise, readBigInt, readPlainDecimalAt, readValue, type ReadResult } from './values.js';

type Column =
  | { kind: 'metric'; metric: MetricDef; scale: number; bitmask: boolean }
  | { kind: 'label'; label: string; numeric: boolean }
  | { kind: 'ignore' };

/** Identity columns → catalog gpu labels. */
const LABEL_COLUMNS: Readonly<Record<string, { label: string; numeric: boolean }>> = {
  index: { label: catalogLabel('gpu', 'gpu_index'), numeric: true },
  uuid: { label: catalogLabel('gpu', 'gpu_uuid'), numeric: false },
  name: { label: catalogLabel('gpu', 'model'), numeric: false },
};

const THROTTLE = catalogMetric('throttle_reasons');
const THROTTLED = catalogMetric('throttled');

const byCanonical = new Map<string, FieldMapping>(
  NVIDIA_SMI_QUERY_FIELDS.map((f) => [canonicalField(f.source.field), f] as const),
);

export interface CompiledColumns {
  readonly fields: readonly string[];
  readonly columns: readonly Column[];
  /** The shapes of the records these columns make (column-record.ts); without it, plain records. */
  readonly shapes?: ValueShapes;
  /** Readings of the cells that are not plain decimals (see CellReadings); without it, read each time. */
  readonly readings?: CellReadings;
}

/** More distinct texts than this, and a cache starts over: a stream's repeated cells are a few per GPU. */
const MAX_READINGS = 512;

/**
 * What the cells that are not plain decimals read as, kept by their text: a GPU's UUID and name,
 * its P-state, its throttle bitmask and the like come again every second, and reading them
 * (normalising whitespace, lower-casing against the absent tokens, three regular expressions, a
 * BigInt for the bitmask) was most of a line's parse after the numbers. Each reading is a pure
 * function of the text, so a kept one is the reading itself.
 */
export class CellReadings {
  private readonly labels = new Map<string, string | null>();
  private readonly values = new Map<string, ReadResult>();
  private readonly masks = new Map<string, bigint | null>();

  /** The label text a cell holds (normalised), or undefined where it is one of the absent tokens. */
  label(raw: string): string | undefined {
    return kept(this.labels, raw, () => (isAbsentToken(raw) ? null : normalise(raw))) ?? undefined;
  }

  /** readValue(raw). */
  value(raw: string): ReadResult {
    return kept(this.values, raw, () => readValue(raw));
  }

  /** readBigInt(raw). */
  mask(raw: string): bigint | undefined {
    return kept(this.masks, raw, () => readBigInt(raw) ?? null) ?? undefined;
  }
}

/** The reading kept for `raw`, read (and kept) the first time; a full map starts over. */
function kept<V>(map: Map<string, V>, raw: string, read: () => V): V {
  let v = map.get(raw);
  if (v === undefined) {
    if (map.size >= MAX_READINGS) map.clear();
    map.set(raw, (v = read()));
  }
  return v;
}

/** Prepares the column mapping once; the streaming source reuses it for every line. */
export function compileColumns(fields: readonly string[]): CompiledColumns {
  const columns = fields.map((f): Column => {
    const c = canonicalField(f);
    const label = LABEL_COLUMNS[c];
    if (label) return { kind: 'label', ...label };
    const mapping = byCanonical.get(c);
    if (mapping) {
      const metric = catalogMetric(mapping.metric.name);
      return {
        kind: 'metric',
        metric,
        scale: mapping.source.scale ?? 1,
        bitmask: metric.name === THROTTLE.name,
      };
    }
    return { kind: 'ignore' };
  });
  // The metrics in the order parseCsvLine sets them: a bitmask column sets `throttled` first.
  const names = columns.flatMap((c) =>
    c.kind !== 'metric' ? [] : c.bitmask ? [THROTTLED.name, c.metric.name] : [c.metric.name],
  );
  return { fields, columns, shapes: new ValueShapes(names), readings: new CellReadings() };
}

const DEFAULT_COLUMNS = compileColumns(COLLECTOR_QUERY_FIELDS);

/** Splits one CSV line. nvidia-smi never quotes; it separates with ", " and may leave a cell empty. */
export function splitCsvLine(line: string): string[] {
  return line.split(',').map((c) => c.trim());
}

export type LineResult = { ok: true; record: ParsedRecord } | { ok: false; error: DocumentError };

export function parseCsvLine(line: string, compiled: CompiledColumns, lineNo?: number): LineResult {
  const columns = compiled.columns;
  // The cells are read in place (see cellAt) rather than split into an array of trimmed copies:
  // this runs for every GPU on every sample, and the copies were most of its garbage.
  let count = 1;
  for (let at = line.indexOf(','); at >= 0; at = line.indexOf(',', at + 1)) count++;
  if (count !== columns.length) {
    return {
      ok: false,
      error: {
        ...(lineNo !== undefined ? { line: lineNo } : {}),
        field: 'line',
        reason: 'column_count',
        message: `expected ${columns.length} columns, got ${count}`,
      },
    };
  }
  const b = compiled.shapes
    ? new ColumnRecordBuilder('gpu', 'nvidia-smi', compiled.shapes)
    : new RecordBuilder('gpu', 'nvidia-smi');
  // A plain loop over columns compiled once.
  let start = 0;
  for (let i = 0; i < columns.length; i++) {
    const comma = line.indexOf(',', start);
    const end = comma < 0 ? line.length : comma;
    const col = columns[i]!;
    const from = start;
    start = end + 1;
    if (col.kind === 'ignore') continue;
    // Most cells are plain decimals: read in place, without the cell's copy (readPlainDecimalAt
    // reads them as the general path below would; NaN leaves the cell to it).
    if (col.kind === 'metric' ? !col.bitmask : col.numeric) {
      const v = readPlainDecimalAt(line, from, end);
      if (col.kind === 'metric' && v === v) {
        b.setMetric(col.metric, v * col.scale);
        continue;
      }
      if (col.kind === 'label' && Number.isInteger(v) && v >= 0) {
        b.label(col.label, v);
        continue;
      }
    }
    const raw = cellAt(line, from, end);
    const readings = compiled.readings;
    if (col.kind === 'label' && !col.numeric && readings) {
      b.label(col.label, readings.label(raw));
      continue;
    }
    if (col.kind === 'label') {
      if (isAbsentToken(raw)) continue;
      if (col.numeric) {
        const n = Number(normalise(raw));
        if (Number.isInteger(n) && n >= 0) b.label(col.label, n);
        else b.error({ field: col.label, reason: 'unparseable', message: `${col.label}: cannot read "${raw}"` });
      } else b.label(col.label, normalise(raw));
      continue;
    }
    // nvidia-smi's two spellings of "no value", a few per line: absent, as readValue would find
    // (no error, nothing set), without its normalising and lower-casing.
    if (raw === '[N/A]' || raw === 'N/A') continue;
    if (col.bitmask) {
      const mask = readings ? readings.mask(raw) : readBigInt(raw);
      if (mask !== undefined) b.setMetric(THROTTLED, isThrottled(mask) ? 1 : 0);
    }
    if (readings) b.setReadMetric(col.metric, raw, readings.value(raw), col.scale);
    else b.setRawMetric(col.metric, raw, col.scale);
  }
  return { ok: true, record: b.build() };
}

/**
 * `line.slice(from, end).trim()`, as splitCsvLine reads a cell, without the untrimmed copy:
 * nvidia-smi puts a space after every comma, so the leading spaces are skipped before slicing.
 */
function cellAt(line: string, from: number, end: number): string {
  let s = from;
  while (s < end && line.charCodeAt(s) === 32) s++;
  return line.slice(s, end).trim();
}

/** A header line holds only field names (optionally with " [unit]"), never a value. */
function isHeader(cells: readonly string[]): boolean {
  return (
    cells.length > 0 &&
    cells.every((c) => /^[A-Za-z][A-Za-z0-9_.]*(\s\[[^\]]*\])?$/.test(c)) &&
    cells.some((c) => c.includes('.') || c in LABEL_COLUMNS)
  );
}

export interface CsvOptions {
  /** Field list for headerless input. Default: the list the collector's streaming source requests. */
  readonly fields?: readonly string[];
}

/**
 * Parses a CSV document, a stream of `-lms` lines, or an nvidia_gpu_exporter capture file (whose
 * `# $ nvidia-smi --query-gpu=…` sections are parsed and every other section skipped).
 */
export function parseNvidiaSmiCsv(text: string, opts: CsvOptions = {}): ParseResult {
  const lines = text.split(/\r?\n/);
  const isCapture = lines.some((l) => l.startsWith('# $ nvidia-smi --query-gpu='));
  const records: ParsedRecord[] = [];
  const errors: DocumentError[] = [];
  let compiled: CompiledColumns | undefined = isCapture
    ? undefined
    : opts.fields
      ? compileColumns(opts.fields)
      : undefined;
  let inQuerySection = !isCapture;

  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (isCapture && line.startsWith('# $ ')) {
      inQuerySection = line.startsWith('# $ nvidia-smi --query-gpu=');
      compiled = undefined;
      return;
    }
    if (line.startsWith('#') || line.trim() === '' || !inQuerySection) return;
    const cells = splitCsvLine(line);
    if (isHeader(cells)) {
      compiled = compileColumns(cells);
      return;
    }
    const r = parseCsvLine(line, compiled ?? DEFAULT_COLUMNS, lineNo);
    if (r.ok) records.push(r.record);
    else if (!compiled) {
      // Headerless input is read with the collector's own field list; say so, since that is the likely cause.
      errors.push({
        ...r.error,
        message: `${r.error.message} (no header line: read as the collector's --query-gpu list; include the header to parse other field lists)`,
      });
    } else errors.push(r.error);
  });
  return { records, errors };
}
