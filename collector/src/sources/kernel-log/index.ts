/** The kernel-log (NVRM XID) source: its config schema, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { KernelLogSource } from './source.js';

export { kernelLogConfigSchema, type KernelLogConfig } from './config.js';
export { KernelLogFollower } from './follower.js';
export { KernelLogSource, type KernelLogSourceOptions } from './source.js';

export const kernelLogFactory: SourceFactory<CollectorConfig> = {
  name: 'kernel-log',
  // XIDs are attributed to GPUs through the inventory, so without nvidia-smi there is nothing to join.
  enabled: (c) => c.sources.kernelLog.enabled && c.sources.nvidiaSmi.enabled,
  create: (c, deps) =>
    new KernelLogSource({ path: c.sources.kernelLog.path, pollMs: c.sources.kernelLog.pollMs, gpus: deps.gpus }),
};
