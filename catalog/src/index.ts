/**
 * @meridian/catalog: every metric and label Meridian stores, named once. The store's DDL, the
 * collector's parsers, the dashboards and the Grafana plugin all derive from these definitions.
 */
export type { Entity, Unit, MetricKind, ValueType, SourceField, MetricSources, MetricDef, LabelDef } from './types.js';
export { METRICS, LABELS, COMMON_LABELS, OPTIC_FLAG_BITS } from './metrics.js';
export type { Resolution, RollupAgg, RollupColumn } from './naming.js';
export {
  ENTITIES,
  rawTable,
  rollupTable,
  tableFor,
  rollupColumns,
  rollupReadExpr,
  readExpr,
  increaseColumn,
  increaseReadExpr,
  FIRST_IN_MINUTE,
  FIRST_IN_HOUR,
  REGION_ENTITIES,
  regionRollupTable,
  SERIES_MINUTES,
  SERIES_HOURS,
  HOURS_PRESENT,
} from './naming.js';
export { metricsOf, labelsOf, keyLabelsOf, metricByName, SOURCES } from './lookup.js';
export type { SourceTag } from './lookup.js';
export {
  CLOCK_EVENT_BITS,
  CLOCK_EVENT_LABELS,
  THERMAL_SLOWDOWN_MASK,
  SLOWDOWN_MASK,
  isThrottled,
  clockEventReasons,
} from './nvml.js';
export type { ClockEventReason } from './nvml.js';
export { FIBER_MS_PER_KM, fiberRttFloorMs, greatCircleKm } from './fiber.js';
export { RETENTION_DAYS, RESOLUTION_STEP_S, resolutionForRange } from './resolution.js';
export { COLLECTOR_SELF_METRICS } from './self-metrics.js';
export { originalMetricsOf, metricsAddedBy, metricsThrough } from './generations.js';
export { NVLINK_LINK_LABEL, NVLINK_ERROR_METRICS, dcgmPerLinkPrefix } from './nvlink.js';
export { BUSY_SOURCES, BUSY_SOURCE_LABELS, BUSY_COLUMNS, busyOf, instanceBusyOf, busySql } from './utilisation.js';
export type { BusySource, BusyInputs, Busy } from './utilisation.js';
export { XIDS, XID_ACTION_TEXT, xidInfo } from './xid.js';
export type { XidAction, XidDef } from './xid.js';
