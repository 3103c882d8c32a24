/**
 * THE list of source factories. The agent builds every source whose factory says the config
 * enables it, in this order, and runs them all the same way. A new source is one folder
 * (config.ts, source.ts, index.ts with its factory) and one line here: see README.md.
 */
import { attributionFactory } from '../attribution/index.js';
import type { CollectorConfig } from '../config/schema.js';
import { dcgmFactory } from './dcgm/index.js';
import { hostFactory } from './host/index.js';
import { inventoryFactory } from './inventory/index.js';
import { kernelLogFactory } from './kernel-log/index.js';
import { linkPassiveFactory } from './link-passive/index.js';
import { nvidiaSmiFactory } from './nvidia-smi/index.js';
import type { Source, SourceDeps, SourceFactory } from './source.js';
import { stampReflectorFactory } from './stamp-reflector/index.js';
import { stampSenderFactory } from './stamp-sender/index.js';

export const SOURCE_FACTORIES: readonly SourceFactory<CollectorConfig>[] = [
  nvidiaSmiFactory,
  // After nvidia-smi, before kernel-log: its first read tells the kernel-log source where the GPUs are.
  inventoryFactory,
  kernelLogFactory,
  dcgmFactory,
  hostFactory,
  linkPassiveFactory,
  stampSenderFactory,
  stampReflectorFactory,
  // Not a source of samples: which workload holds each GPU (../attribution/), as gpu_assignments rows.
  attributionFactory,
];

/** Builds the sources the config enables. */
export function createSources(config: CollectorConfig, deps: SourceDeps): Source[] {
  return SOURCE_FACTORIES.filter((f) => f.enabled(config)).map((f) => f.create(config, deps));
}
