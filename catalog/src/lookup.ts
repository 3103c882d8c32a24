import { LABELS, METRICS } from './metrics.js';
import type { Entity, LabelDef, MetricDef } from './types.js';

/** Where a row came from. `sim` marks the twin so nobody mistakes it for hardware. */
export const SOURCES = ['nvidia-smi', 'dcgm', 'host', 'stamp', 'ethtool', 'sysfs', 'ping', 'iperf3', 'sim'] as const;
export type SourceTag = (typeof SOURCES)[number];

const byName = new Map<string, MetricDef>(METRICS.map((m) => [m.name, m]));

export function metricsOf(entity: Entity): MetricDef[] {
  return METRICS.filter((m) => m.entity === entity);
}

export function labelsOf(entity: Entity): LabelDef[] {
  return LABELS.filter((l) => l.entity === entity);
}

export function keyLabelsOf(entity: Entity): LabelDef[] {
  return labelsOf(entity).filter((l) => l.key);
}

export function metricByName(name: string): MetricDef | undefined {
  return byName.get(name);
}
