/** The dcgm-exporter scrape source: its config schema, its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { DcgmSource } from './source.js';

export { dcgmConfigSchema, type DcgmConfig } from './config.js';
export { DcgmSource, type DcgmSourceOptions } from './source.js';

export const dcgmFactory: SourceFactory<CollectorConfig> = {
  name: 'dcgm',
  enabled: (c) => c.sources.dcgm.enabled,
  create: ({ sources: { dcgm } }) =>
    new DcgmSource({ url: dcgm.url, intervalMs: dcgm.intervalMs, timeoutMs: dcgm.timeoutMs }),
};
