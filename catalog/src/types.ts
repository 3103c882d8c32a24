/**
 * Types for the metric catalog. The catalog is plain data so that every consumer (the store's DDL,
 * the collector's parsers, the dashboards and the browser plugin) can read it without pulling in
 * Node-only code.
 */

/** The three wide raw tables. One row per entity per instant. */
export type Entity = 'gpu' | 'host' | 'link';

/** Canonical units from the brief. Everything is converted to these at the edge (the parsers). */
export type Unit =
  | 'bytes'
  | 'bytes/s'
  | 'watts'
  | 'celsius'
  | 'MHz'
  | 'percent'
  | 'ms'
  | 'dBm'
  | 'mA'
  | 'volts'
  | 'count'
  | 'bitmask'
  | 'state'
  | 'bool'
  | 'Gb/s'
  | 'joules';

/**
 * gauge: an instantaneous reading; averaged in rollups.
 * counter: raw cumulative count; rates are derived in queries and rollups keep the last value.
 * state: an enumerated or bitmask value; rollups keep the last value, never an average.
 */
export type MetricKind = 'gauge' | 'counter' | 'state';

/** ClickHouse value types the catalog may use. Every metric column is Nullable: absent means N/A. */
export type ValueType = 'Float32' | 'Float64' | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'Int32';

/** How one vendor field maps onto a catalog metric. `scale` multiplies into canonical units. */
export interface SourceField {
  readonly field: string;
  readonly scale?: number;
  /**
   * More fields whose values add to `field`'s: one reading split across several elements (nvidia-smi
   * XML splits ECC counts into SRAM and DRAM, and from DTD v13 SRAM into parity and SEC-DED).
   */
  readonly plus?: readonly string[];
}

export interface MetricSources {
  /** `nvidia-smi --query-gpu=<field>` name. */
  readonly nvidiaSmiQuery?: SourceField;
  /** Slash path inside `nvidia-smi -q -x` (one per known DTD variant, first match wins). */
  readonly nvidiaSmiXml?: readonly SourceField[];
  /** dcgm-exporter series name. */
  readonly dcgm?: SourceField;
  /**
   * Counter names as `nvidia-smi nvlink -e` prints them after `Link N:` (one per driver generation,
   * any may match); the parser sums them over a GPU's links. Read without a spawn per sample: the
   * inventory cadence runs it.
   */
  readonly nvidiaSmiNvlink?: readonly string[];
}

export interface MetricDef {
  /** Column name in the raw table. snake_case, unique across the whole catalog. */
  readonly name: string;
  readonly entity: Entity;
  readonly unit: Unit;
  readonly kind: MetricKind;
  readonly type: ValueType;
  readonly description: string;
  /** OpenTelemetry semantic-convention name, where one exists. */
  readonly otel?: string;
  /** Physically possible range; a value outside it is rejected as absurd, not stored. */
  readonly range?: { readonly min: number; readonly max: number };
  /** Whether the 1-minute and 1-hour rollups carry this metric. */
  readonly rollup: boolean;
  readonly sources?: MetricSources;
  /**
   * The migration that added this metric's columns to stores created before it (e.g.
   * `0008_dcgm_profiling`). Absent for the original set, which migrations 0001, 0002 and 0004 render;
   * they render only metrics without `since`, so adding a metric never changes an applied migration's
   * checksum. A fresh store gets every metric by running all migrations in order.
   */
  readonly since?: string;
}

/** A label is part of a series' identity (the table's sort key) or a descriptive tag. */
export interface LabelDef {
  readonly name: string;
  readonly entity: Entity;
  readonly type: 'LowCardinality(String)' | 'String' | 'UInt16';
  /** A row missing a required label is rejected. */
  readonly required: boolean;
  /** Part of the ORDER BY key, in this order. */
  readonly key: boolean;
  readonly maxLength?: number;
  readonly description: string;
}
