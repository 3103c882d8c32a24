/**
 * Which metrics each migration renders. Migrations 0001, 0002 and 0004 render the original set (the
 * metrics without `since`), so adding a metric never changes their checksums; a later migration
 * renders the metrics whose `since` names it (see MetricDef.since).
 */
import { metricsOf } from './lookup.js';
import type { Entity, MetricDef } from './types.js';

export function originalMetricsOf(entity: Entity): MetricDef[] {
  return metricsOf(entity).filter((m) => m.since === undefined);
}

export function metricsAddedBy(entity: Entity, version: string): MetricDef[] {
  return metricsOf(entity).filter((m) => m.since === version);
}

/**
 * Every metric a store has once `version` is applied: the original set and those added up to and
 * including it (versions sort as text: they start with a zero-padded number).
 */
export function metricsThrough(entity: Entity, version: string): MetricDef[] {
  return metricsOf(entity).filter((m) => m.since === undefined || m.since <= version);
}
