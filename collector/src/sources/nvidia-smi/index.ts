/** The nvidia-smi streaming source: its config schema, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { NvidiaSmiSource } from './source.js';

export { nvidiaSmiConfigSchema, type NvidiaSmiConfig } from './config.js';
export { NvidiaSmiSource, type NvidiaSmiSourceOptions, type NvidiaSmiStats } from './source.js';

export const nvidiaSmiFactory: SourceFactory<CollectorConfig> = {
  name: 'nvidia-smi',
  enabled: (c) => c.sources.nvidiaSmi.enabled,
  create: (c) => new NvidiaSmiSource({ path: c.sources.nvidiaSmi.command, intervalMs: c.sources.nvidiaSmi.intervalMs }),
};
