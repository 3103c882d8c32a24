/**
 * nvidia-smi vocabulary that is the vendor's, not ours: query-field aliases and the NVML clock event
 * (throttle) reason bits. The alias pairs are `nvidia-smi --help-query-gpu`'s own `"a" or "b"` lines
 * (a test checks each against the 595.80 capture), because the CSV header prints the canonical name
 * even when the alias was requested (`clocks.sm` comes back as `clocks.current.sm [MHz]`).
 */
import { NVIDIA_SMI_QUERY_FIELDS } from './catalog-fields.js';

export const QUERY_ALIASES: readonly (readonly [canonical: string, alias: string])[] = [
  ['name', 'gpu_name'],
  ['serial', 'gpu_serial'],
  ['uuid', 'gpu_uuid'],
  ['pci.bus_id', 'gpu_bus_id'],
  ['clocks_event_reasons.supported', 'clocks_throttle_reasons.supported'],
  ['clocks_event_reasons.active', 'clocks_throttle_reasons.active'],
  ['retired_pages.single_bit_ecc.count', 'retired_pages.sbe'],
  ['retired_pages.double_bit.count', 'retired_pages.dbe'],
  ['remapped_rows.correctable', 'remapped_rows.sbe'],
  ['remapped_rows.uncorrectable', 'remapped_rows.dbe'],
  ['power.draw.average', 'gpu.power.draw.average'],
  ['power.draw.instant', 'gpu.power.draw.instant'],
  ['power.limit', 'gpu.power.requested_limit'],
  ['enforced.power.limit', 'gpu.power.current_limit'],
  ['clocks.current.graphics', 'clocks.gr'],
  ['clocks.current.sm', 'clocks.sm'],
  ['clocks.current.memory', 'clocks.mem'],
  ['clocks.current.video', 'clocks.video'],
];

const toCanonical = new Map<string, string>(QUERY_ALIASES.map(([c, a]) => [a, c]));

/** Canonical form of a query-field name, with any " [unit]" header suffix removed. */
export function canonicalField(name: string): string {
  const bare = name.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
  return toCanonical.get(bare) ?? bare;
}

/** Identity fields the collector requests ahead of the catalog's metrics. */
export const IDENTITY_FIELDS = ['index', 'uuid', 'name'] as const;

/** The exact `--query-gpu=` list the streaming source asks for: identity, then every catalog field. */
export const COLLECTOR_QUERY_FIELDS: readonly string[] = [
  ...IDENTITY_FIELDS,
  ...NVIDIA_SMI_QUERY_FIELDS.map((f) => f.source.field),
];
