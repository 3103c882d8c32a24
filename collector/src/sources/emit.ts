/**
 * Turns parsed records into store rows: the wide sample row for the record's entity, and its extra
 * metrics as `extra_metrics` rows. Field errors are counted on the way; records that lack their
 * identity label are dropped and counted, because the store would refuse them anyway.
 */
import { labelsOf } from '@meridian/catalog';
import type { Entity } from '@meridian/catalog';
import type { SampleRow } from '@meridian/store';
import type { ParsedRecord } from '../parsers/record.js';
import type { SourceContext, SourceRows } from './source.js';

/** Required key labels each entity must carry from the parser (region/host come from the context). */
const IDENTITY: Record<Entity, readonly string[]> = {
  gpu: labelsOf('gpu')
    .filter((l) => l.required && l.name !== 'region' && l.name !== 'host')
    .map((l) => l.name),
  host: [],
  link: labelsOf('link')
    .filter((l) => l.required && l.name !== 'host' && l.name !== 'region_from')
    .map((l) => l.name),
};

export function toSampleRow(ctx: SourceContext, r: ParsedRecord, ts: number): SampleRow {
  const row: SampleRow = { ts, source: r.source, host: ctx.host, ...r.labels, ...r.values };
  if (r.entity === 'link') row.region_from = ctx.region;
  else row.region = ctx.region;
  return row;
}

/** The first identity label a record lacks (a plain loop: this runs for every record of every sample). */
function missingIdentity(r: ParsedRecord): string | undefined {
  for (const l of IDENTITY[r.entity]) if (r.labels[l] === undefined || r.labels[l] === '') return l;
  return undefined;
}

/** Emits records (grouped per target, one push each) and returns how many rows went out. */
export function emitRecords(
  ctx: SourceContext,
  sourceName: string,
  records: readonly ParsedRecord[],
  ts: number,
): number {
  const rows: Record<Entity, SampleRow[]> = { gpu: [], host: [], link: [] };
  const extra: SourceRows['extra_metrics'][] = [];
  for (const r of records) {
    ctx.errors.countRecord(sourceName, r);
    const missing = missingIdentity(r);
    if (missing) {
      ctx.errors.count(sourceName, missing, 'unattributed');
      continue;
    }
    rows[r.entity].push(toSampleRow(ctx, r, ts));
    for (const x of r.extra) {
      const identity: Record<string, string> = {};
      for (const l of ['gpu_uuid', 'mig_instance', 'link_id', 'lane', 'interface']) {
        const v = r.labels[l];
        if (v !== undefined && v !== '') identity[l] = String(v);
      }
      extra.push({
        ts,
        source: r.source,
        region: ctx.region,
        host: ctx.host,
        name: x.name,
        labels: { ...identity, ...x.labels },
        value: x.value,
      });
    }
  }
  let n = 0;
  for (const e of ['gpu', 'host', 'link'] as const) {
    if (rows[e].length > 0) {
      ctx.emit(e, rows[e]);
      n += rows[e].length;
    }
  }
  if (extra.length > 0) ctx.emit('extra_metrics', extra);
  return n;
}
