/** `sources.nic`: passive link counters (sysfs, ethtool -S) and optics (ethtool -m). */
import { z } from 'zod';
import { interfaceName, ms } from '../../config/units.js';

export const linkPassiveConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Interfaces whose counters (sysfs, ethtool -S) and optics (ethtool -m) are read. */
    interfaces: z.array(interfaceName).default([]),
    /** The ethtool binary; "" reads only sysfs counters. */
    command: z.string().default('ethtool'),
    /** sysfs counters. */
    intervalMs: ms(100, 3_600_000, 10_000),
    /** ethtool -S (FEC/PCS/CRC) and ethtool -m (optics). */
    ethtoolIntervalMs: ms(1_000, 3_600_000, 60_000),
  })
  .prefault({});

export type LinkPassiveConfig = z.output<typeof linkPassiveConfigSchema>;
