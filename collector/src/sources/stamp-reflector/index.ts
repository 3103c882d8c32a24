/** The STAMP Session-Reflector source: its config schema (`stamp.reflector`), its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { StampReflectorSource } from './source.js';

export { stampReflectorSectionSchema, type StampReflectorSection } from './config.js';
export { StampReflectorSource, type StampReflectorSourceOptions } from './source.js';

export const stampReflectorFactory: SourceFactory<CollectorConfig> = {
  name: 'stamp-reflector',
  enabled: (c) => Boolean(c.stamp.reflector?.enabled),
  create: (c, deps) => {
    const { enabled: _enabled, ...config } = c.stamp.reflector ?? {};
    const clock = deps.stampClock();
    return new StampReflectorSource({ config, ...(clock ? { clock } : {}) });
  },
};
