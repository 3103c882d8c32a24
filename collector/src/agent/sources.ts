/**
 * Which sources the config turns on. Each source is its own module (collector/src/sources/); this
 * file only maps config sections onto them.
 */
import type { CollectorConfig } from '../config/index.js';
import { NvidiaSmiSource } from '../sources/nvidia-smi.js';
import type { Source } from '../sources/source.js';

/** Config sections whose source module has not landed yet; the agent says so at start. */
export const NOT_WIRED: readonly string[] = ['sources.dcgm', 'sources.host', 'sources.nic'];

export function createSources(config: CollectorConfig): Source[] {
  const out: Source[] = [];
  const s = config.sources;
  if (s.nvidiaSmi.enabled) {
    out.push(
      new NvidiaSmiSource({
        path: s.nvidiaSmi.command,
        intervalMs: s.nvidiaSmi.intervalMs,
        inventoryIntervalMs: s.nvidiaSmi.inventoryIntervalMs,
      }),
    );
  }
  return out;
}

/** The enabled sections this build cannot run yet. */
export function unwiredEnabled(config: CollectorConfig): string[] {
  const s = config.sources;
  const enabled: Record<string, boolean> = {
    'sources.dcgm': s.dcgm.enabled,
    'sources.host': s.host.enabled,
    'sources.nic': s.nic.enabled,
  };
  return NOT_WIRED.filter((k) => enabled[k]);
}
