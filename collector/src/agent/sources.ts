/**
 * Which sources the config turns on. Each source is its own module (collector/src/sources/); this
 * file only maps config sections onto their options.
 */
import type { CollectorConfig } from '../config/index.js';
import { DcgmSource, HostSource, LinkPassiveSource, NvidiaSmiSource, type Source } from '../sources/index.js';

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
  if (s.dcgm.enabled)
    out.push(new DcgmSource({ url: s.dcgm.url, intervalMs: s.dcgm.intervalMs, timeoutMs: s.dcgm.timeoutMs }));
  if (s.host.enabled) {
    out.push(
      new HostSource({
        intervalMs: s.host.intervalMs,
        mounts: s.host.mounts,
        ...(s.host.interfaces ? { interfaces: s.host.interfaces } : {}),
      }),
    );
  }
  if (s.nic.enabled && s.nic.interfaces.length > 0) {
    out.push(
      new LinkPassiveSource({
        interfaces: s.nic.interfaces,
        ethtoolPath: s.nic.command,
        countersIntervalMs: s.nic.intervalMs,
        ethtoolIntervalMs: s.nic.ethtoolIntervalMs,
      }),
    );
  }
  return out;
}
