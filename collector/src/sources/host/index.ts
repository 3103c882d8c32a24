/** The host source: its config schema, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { HostSource } from './source.js';

export { hostConfigSchema, type HostConfig } from './config.js';
export { HostSource, type HostSourceOptions } from './source.js';
export { ProcFile } from './proc-file.js';

export const hostFactory: SourceFactory<CollectorConfig> = {
  name: 'host',
  enabled: (c) => c.sources.host.enabled,
  create: ({ sources: { host } }) =>
    new HostSource({
      intervalMs: host.intervalMs,
      mounts: host.mounts,
      ...(host.interfaces ? { interfaces: host.interfaces } : {}),
    }),
};
