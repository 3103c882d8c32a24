/**
 * Error counters for every source and field, for the collector's own /metrics. One instance is
 * shared by all sources; the pipeline engineer exports `snapshot()` as
 * `meridian_collector_errors_total{source,field,reason}`.
 */
import type { ParsedRecord, DocumentError } from '../parsers/record.js';

/**
 * Reasons, so dashboards can tell a flaky tool from bad data:
 * unparseable / out_of_range / inexact / missing_column: a field of a record (see FieldErrorReason);
 * malformed / column_count: a whole document or line;
 * process_exit / stall / spawn_failed / timeout / http_error: the tool or endpoint;
 * counter_reset: a cumulative counter went backwards (reboot, driver reload, wrap);
 * unsupported_field: this nvidia-smi does not know a query field (it was swapped for its alias or dropped);
 * unattributed: a record without its identity label (e.g. a DCGM series without UUID), dropped;
 * task_failed: a periodic task (a scrape, an inventory read) threw; the next run goes on;
 * overrun: the kernel's log ring overwrote records before they were read (/dev/kmsg EPIPE), so an
 * XID among them is missed.
 */
export type ErrorReason =
  | 'unparseable'
  | 'out_of_range'
  | 'inexact'
  | 'missing_column'
  | 'malformed'
  | 'column_count'
  | 'process_exit'
  | 'stall'
  | 'spawn_failed'
  | 'timeout'
  | 'http_error'
  | 'counter_reset'
  | 'unsupported_field'
  | 'unattributed'
  | 'task_failed'
  | 'overrun';

export interface ErrorCount {
  readonly source: string;
  readonly field: string;
  readonly reason: ErrorReason;
  readonly count: number;
}

/** One counter's identity: the same source, field and reason always give the same key. */
export function errorKey(source: string, field: string, reason: ErrorReason): string {
  return `${source}\u0000${field}\u0000${reason}`;
}

export class SourceErrorCounters {
  private readonly counts = new Map<string, { source: string; field: string; reason: ErrorReason; count: number }>();

  count(source: string, field: string, reason: ErrorReason, n = 1): void {
    const key = errorKey(source, field, reason);
    const c = this.counts.get(key);
    if (c) c.count += n;
    else this.counts.set(key, { source, field, reason, count: n });
  }

  /** Counts every field error a parsed record carries. */
  countRecord(source: string, r: ParsedRecord): void {
    for (const e of r.errors) this.count(source, e.field, e.reason);
  }

  countDocument(source: string, e: DocumentError): void {
    this.count(source, e.field, e.reason);
  }

  get(source: string, field: string, reason: ErrorReason): number {
    return this.counts.get(errorKey(source, field, reason))?.count ?? 0;
  }

  /** Total for a source (all fields and reasons), or for everything. */
  total(source?: string): number {
    let t = 0;
    for (const c of this.counts.values()) if (source === undefined || c.source === source) t += c.count;
    return t;
  }

  snapshot(): ErrorCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }
}
