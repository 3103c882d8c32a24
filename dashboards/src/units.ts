import * as units from '@grafana/grafana-foundation-sdk/units';
import type { MetricDef, Unit } from '@meridian/catalog';

/**
 * Catalog unit -> Grafana unit id. A Record over the catalog's Unit union, so adding a unit to the
 * catalog fails the build here until it is mapped. Ids come from the foundation SDK's unit list.
 */
const GRAFANA_UNITS: Record<Unit, string> = {
  bytes: units.BytesIEC,
  'bytes/s': units.BytesPerSecondSI,
  watts: units.Watt,
  celsius: units.Celsius,
  // Grafana's `hertz` expects Hz; our clocks are stored in MHz, and `rotmhz` renders a plain "MHz".
  MHz: units.MegahertzRotation,
  percent: units.Percent,
  ms: units.Milliseconds,
  dBm: units.DecibelMilliWatt,
  mA: units.MilliAmpere,
  volts: units.Volt,
  count: units.Short,
  bitmask: units.HexadecimalOx,
  state: units.NoUnit,
  // A bool gauge is averaged over a bucket: its value is the share of time it was 1.
  bool: units.PercentUnit,
  'Gb/s': units.GigabitsPerSecond,
  joules: units.Joule,
};

export function grafanaUnit(unit: Unit): string {
  return GRAFANA_UNITS[unit];
}

/** The unit a panel shows for a metric; counters are shown as increases, in the metric's own unit. */
export function unitOf(m: MetricDef): string {
  return grafanaUnit(m.unit);
}
