/** The passive link source (`sources.nic`): its config schema, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { LinkPassiveSource } from './source.js';

export { linkPassiveConfigSchema, type LinkPassiveConfig } from './config.js';
export { LinkPassiveSource, type LinkPassiveOptions } from './source.js';

export const linkPassiveFactory: SourceFactory<CollectorConfig> = {
  name: 'link-passive',
  enabled: (c) => c.sources.nic.enabled && c.sources.nic.interfaces.length > 0,
  create: ({ sources: { nic } }) =>
    new LinkPassiveSource({
      interfaces: nic.interfaces,
      ethtoolPath: nic.command,
      countersIntervalMs: nic.intervalMs,
      ethtoolIntervalMs: nic.ethtoolIntervalMs,
    }),
};
