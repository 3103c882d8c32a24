/** The `nvidia-smi -q -x` inventory source: its config keys, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { NvidiaSmiInventorySource } from './source.js';

export { inventoryConfigKeys } from './config.js';
export { NvidiaSmiInventorySource, type NvidiaSmiInventoryOptions } from './source.js';

export const inventoryFactory: SourceFactory<CollectorConfig> = {
  name: 'nvidia-smi-inventory',
  // Same binary, same section: it runs whenever the nvidia-smi source does.
  enabled: (c) => c.sources.nvidiaSmi.enabled,
  create: (c, deps) =>
    new NvidiaSmiInventorySource({
      path: c.sources.nvidiaSmi.command,
      intervalMs: c.sources.nvidiaSmi.inventoryIntervalMs,
      gpus: deps.gpus,
    }),
};
