/**
 * The one shape every parser returns: catalog records (one per GPU, MIG instance, interface, lane or
 * link) built through RecordBuilder, which is the only place a value is admitted. Keeping admission
 * in one place is what guarantees "absent, never 0", "no NaN", and "out-of-range is an error".
 */
import { labelsOf, metricByName } from '@meridian/catalog';
import type { Entity, MetricDef, SourceTag } from '@meridian/catalog';
import { readPlainNumber, readValue, type ReadOptions, type ReadResult } from './values.js';

/** Why a field is missing from a record although the tool printed something for it. */
export type FieldErrorReason = 'unparseable' | 'out_of_range' | 'inexact' | 'missing_column';

export interface FieldError {
  /** Catalog metric name (or label name) the value was meant for. */
  readonly field: string;
  readonly reason: FieldErrorReason;
  readonly message: string;
}

/** A metric outside the catalog (e.g. an unknown DCGM_FI_* series): goes to `extra_metrics`. */
export interface ExtraMetric {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface ParsedRecord {
  readonly entity: Entity;
  readonly source: SourceTag;
  /** Catalog labels (gpu_uuid, gpu_index, interface, link_id, lane, method …). */
  readonly labels: Record<string, string | number>;
  /** Catalog metrics, canonical units, always finite. */
  readonly values: Record<string, number>;
  readonly errors: FieldError[];
  readonly extra: ExtraMetric[];
}

/** A problem with the document as a whole (truncated XML, a line with the wrong column count). */
export interface DocumentError {
  /** 1-based line, where known. */
  readonly line?: number;
  /** What the problem concerns: a field name, or "document"/"line". */
  readonly field: string;
  readonly reason: 'malformed' | 'column_count' | FieldErrorReason;
  readonly message: string;
}

export interface ParseResult {
  readonly records: ParsedRecord[];
  readonly errors: DocumentError[];
}

/** Longest message a document error carries: a hostile document must not make a megabyte log line. */
export const MAX_ERROR_MESSAGE = 300;

/** Cuts a message to MAX_ERROR_MESSAGE characters, saying how much was cut. */
export function boundedMessage(text: string, max = MAX_ERROR_MESSAGE): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Lookup that fails loudly: a parser naming a metric the catalog lacks is a programming error. */
export function catalogMetric(name: string): MetricDef {
  const m = metricByName(name);
  if (!m) throw new Error(`catalog has no metric named "${name}"`);
  return m;
}

/** Label lookup that fails loudly, so a typo in a label name cannot ship. */
export function catalogLabel(entity: Entity, name: string): string {
  if (!labelsOf(entity).some((l) => l.name === name)) throw new Error(`catalog has no ${entity} label named "${name}"`);
  return name;
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Integer column bounds, as the store validates them (UInt64 is capped at 2^53: exact numbers only). */
const INT_BOUNDS: Partial<Record<MetricDef['type'], readonly [number, number]>> = {
  UInt8: [0, 0xff],
  UInt16: [0, 0xffff],
  UInt32: [0, 0xffffffff],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
  Int32: [-0x80000000, 0x7fffffff],
};

/**
 * Admits a value into a record only if it is finite, inside the catalog range, and (for integer
 * column types) a non-negative integer where the type is unsigned. Anything else becomes a FieldError.
 */
export function admit(m: MetricDef, value: number): { ok: true; value: number } | { ok: false; error: FieldError } {
  const error = admitError(m, value);
  // "-0" is a number a tool may print, but stored it would read back as a distinct value: 0.
  return error ? { ok: false, error } : { ok: true, value: value === 0 ? 0 : value };
}

/**
 * What admit refuses a value for, or undefined when it is admitted (as `value === 0 ? 0 : value`).
 * The builder calls this rather than admit: a value read every second per GPU and column should
 * not leave a result object behind when it is fine, which is nearly always.
 */
function admitError(m: MetricDef, value: number): FieldError | undefined {
  if (!Number.isFinite(value))
    return { field: m.name, reason: 'unparseable', message: `${m.name}: not a finite number` };
  if (m.range && (value < m.range.min || value > m.range.max)) {
    return {
      field: m.name,
      reason: 'out_of_range',
      message: `${m.name}: ${value} is outside the possible range ${m.range.min}..${m.range.max} ${m.unit}`,
    };
  }
  const bounds = INT_BOUNDS[m.type];
  if (!bounds) return undefined;
  if (value < bounds[0])
    return { field: m.name, reason: 'out_of_range', message: `${m.name}: ${value} is below ${bounds[0]} (${m.type})` };
  if (value > Number.MAX_SAFE_INTEGER) {
    return {
      field: m.name,
      reason: 'inexact',
      message: `${m.name}: ${value} is beyond 2^53 and cannot be kept exactly`,
    };
  }
  if (value > bounds[1])
    return { field: m.name, reason: 'out_of_range', message: `${m.name}: ${value} exceeds ${m.type}` };
  if (!Number.isInteger(value))
    return { field: m.name, reason: 'unparseable', message: `${m.name}: ${value} is not an integer` };
  return undefined;
}

/** Narrows a BigInt to a number only when exact (see README: bitmasks above 2^53 are refused, not rounded). */
export function exactNumber(v: bigint): number | undefined {
  return v <= MAX_EXACT && v >= -MAX_EXACT ? Number(v) : undefined;
}

export class RecordBuilder {
  readonly labels: Record<string, string | number> = {};
  readonly values: Record<string, number> = {};
  readonly errors: FieldError[] = [];
  readonly extra: ExtraMetric[] = [];

  constructor(
    readonly entity: Entity,
    readonly source: SourceTag,
  ) {}

  label(name: string, value: string | number | undefined): this {
    if (value !== undefined && value !== '') this.labels[name] = value;
    return this;
  }

  /** Sets an already-numeric value (canonical units) after the catalog checks. */
  setNumber(metric: string, value: number): boolean {
    return this.setMetric(catalogMetric(metric), value);
  }

  /**
   * setNumber for a metric already looked up, e.g. once per column by a parser that reads the
   * same columns on every line.
   */
  setMetric(m: MetricDef, value: number): boolean {
    if (m.entity !== this.entity) throw new Error(`${m.name} is a ${m.entity} metric, not ${this.entity}`);
    const error = admitError(m, value);
    if (error) {
      this.error(error);
      return false;
    }
    // "-0" is a number a tool may print, but stored it would read back as a distinct value: 0.
    this.put(m.name, value === 0 ? 0 : value);
    return true;
  }

  /** Stores an admitted value: the one place setMetric writes (see ColumnRecordBuilder). */
  protected put(name: string, value: number): void {
    this.values[name] = value;
  }

  /**
   * Reads a raw tool string ("26.78 W", "[N/A]", "0x1FF", "P8") for a catalog metric. Absent tokens
   * leave the field absent without an error; unparseable text leaves it absent with an error.
   */
  setRaw(metric: string, raw: string | undefined, opts: ReadOptions = {}): boolean {
    if (raw === undefined) return false;
    return this.setRawMetric(catalogMetric(metric), raw, opts.scale ?? 1);
  }

  /** setRaw for a metric already looked up, with its scale into canonical units. */
  setRawMetric(m: MetricDef, raw: string, scale: number): boolean {
    // Most of every nvidia-smi line is plain decimals: read those without readValue's result object.
    const plain = readPlainNumber(raw);
    if (plain !== undefined) return this.setMetric(m, plain * scale);
    return this.setReadMetric(m, raw, readValue(raw), scale);
  }

  /**
   * setRawMetric with `raw` already read by readValue (a parser that sees the same cells again and
   * again may keep the readings: readValue is a pure function of the text).
   */
  setReadMetric(m: MetricDef, raw: string, r: ReadResult, scale: number): boolean {
    if (r.kind === 'absent') return false;
    if (r.kind === 'error') {
      this.error({ field: m.name, reason: 'unparseable', message: `${m.name}: ${r.message}` });
      return false;
    }
    if (r.kind === 'bigint') {
      const exact = exactNumber(r.value);
      if (exact === undefined) {
        this.error({
          field: m.name,
          reason: 'inexact',
          message: `${m.name}: ${raw.trim()} exceeds 2^53-1 and cannot be stored exactly; left absent`,
        });
        return false;
      }
      return this.setMetric(m, exact * scale);
    }
    return this.setMetric(m, r.value * scale);
  }

  error(e: FieldError): void {
    // One error per field is enough to name it; the first cause is the informative one.
    if (!this.errors.some((x) => x.field === e.field)) this.errors.push(e);
  }

  addExtra(x: ExtraMetric): void {
    if (Number.isFinite(x.value)) this.extra.push(x);
  }

  build(): ParsedRecord {
    return {
      entity: this.entity,
      source: this.source,
      labels: this.labels,
      values: this.values,
      errors: this.errors,
      extra: this.extra,
    };
  }
}

/** The flat JSON object `meridian parse` prints: labels, metrics, then `errors` naming bad fields. */
export function toJsonRecord(r: ParsedRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { entity: r.entity, source: r.source, ...r.labels, ...r.values };
  out.errors = r.errors.map((e) => e.field);
  if (r.errors.length > 0) out.error_detail = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
  if (r.extra.length > 0) out.extra = r.extra;
  return out;
}
