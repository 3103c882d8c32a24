/** The STAMP Session-Sender source: its config schema (`stamp.sender`), its factory and the source. */
import type { CollectorConfig } from '../../config/schema.js';
import type { SourceFactory } from '../source.js';
import { StampSenderSource } from './source.js';

export {
  stampRosterSchema,
  stampSenderSectionSchema,
  type StampRosterConfig,
  type StampSenderSection,
} from './config.js';
export { StampSenderSource, type StampSenderSourceOptions } from './source.js';

export const stampSenderFactory: SourceFactory<CollectorConfig> = {
  name: 'stamp-sender',
  enabled: (c) => c.stamp.sender.enabled && (c.stamp.sender.peers.length > 0 || c.stamp.sender.roster.enabled),
  create: (c, deps) => {
    const clock = deps.stampClock();
    return new StampSenderSource({
      host: c.collector.host,
      region: c.collector.region,
      config: c.stamp.sender,
      ...(deps.storeQuery ? { query: deps.storeQuery } : {}),
      ...(clock ? { clock } : {}),
      ...(deps.stampSenders ? { senders: deps.stampSenders } : {}),
    });
  },
};
