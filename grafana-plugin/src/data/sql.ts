import { tableFor, type Entity, type MetricDef, type Resolution, type RollupAgg } from '@meridian/catalog';

/**
 * Small SQL helpers for the ClickHouse data source. The data source takes SQL text with Grafana macros,
 * not bound parameters, so every user-chosen value that reaches a query goes through `literal()`, which
 * admits only the characters Meridian's label values use and fails loudly on anything else.
 */
const LABEL_VALUE = /^[A-Za-z0-9._:/@>\- ]{1,253}$/;

export function literal(field: string, value: string): string {
  if (!LABEL_VALUE.test(value)) {
    throw new Error(`${field}: "${value}" is not a valid label value (letters, digits and . _ : / @ > - only)`);
  }
  return `'${value}'`;
}

export type Agg = RollupAgg;

/**
 * The natural aggregate of a metric within a bucket: gauges average, bitmasks OR, counters keep their
 * largest (latest) cumulative value.
 */
export function naturalAgg(m: MetricDef): Agg {
  if (m.unit === 'bitmask') return 'bitor';
  if (m.kind === 'counter') return 'max';
  return 'avg';
}

export function table(entity: Entity, res: Resolution): string {
  return tableFor(entity, res);
}
