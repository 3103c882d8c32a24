import { getValueFormat, formattedValueToString } from '@grafana/data';
import type { Unit } from '@meridian/catalog';

/** Catalog units to Grafana's value-format ids, so numbers print the way Grafana panels print them. */
const GRAFANA_UNIT: Record<Unit, string> = {
  bytes: 'bytes',
  'bytes/s': 'Bps',
  watts: 'watt',
  celsius: 'celsius',
  MHz: 'suffix: MHz',
  percent: 'percent',
  ms: 'ms',
  dBm: 'suffix: dBm',
  mA: 'suffix: mA',
  volts: 'volt',
  count: 'short',
  bitmask: 'hex',
  state: 'none',
  bool: 'percentunit',
  'Gb/s': 'suffix: Gb/s',
  joules: 'joule',
};

export function grafanaUnit(u: Unit): string {
  return GRAFANA_UNIT[u];
}

export function fmt(value: number | null | undefined, unit: string, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return formattedValueToString(getValueFormat(unit)(value, decimals));
}
