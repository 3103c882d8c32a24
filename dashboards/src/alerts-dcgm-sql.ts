/** Catalog lookups for the DCGM alert rules: every column name they use, or a build error naming it. */
import {
  increaseColumn as catalogIncrease,
  labelsOf,
  metricByName,
  readExpr,
  rollupTable,
  type MetricDef,
  type RollupAgg,
} from '@meridian/catalog';

function gpuMetric(name: string): MetricDef {
  const m = metricByName(name);
  if (!m || m.entity !== 'gpu') throw new Error(`alerts: the catalog has no gpu metric "${name}"`);
  return m;
}

/** A gpu counter's per-sample increase column. */
export function increaseColumn(name: string): string {
  const c = catalogIncrease(gpuMetric(name));
  if (!c) throw new Error(`alerts: gpu metric "${name}" has no increase column`);
  return c;
}

/** A gpu metric's aggregate read from the 1-minute rollup. */
export function readExprOf(name: string, agg: RollupAgg): string {
  return readExpr(gpuMetric(name), agg, '1m');
}

/** A gpu label name. */
export function label(name: string): string {
  if (!labelsOf('gpu').some((l) => l.name === name)) throw new Error(`alerts: the catalog has no gpu label "${name}"`);
  return name;
}

/** The table the rules read: the per-GPU 1-minute rollup. */
export function rollupTableName(): string {
  return rollupTable('gpu', '1m');
}
