/** `sources.host`: CPU, memory, load, disk and interface counters of this host. */
import { z } from 'zod';
import { interfaceName, ms } from '../../config/units.js';

export const hostConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    intervalMs: ms(100, 3_600_000, 10_000),
    /** Filesystems summed into disk_used/disk_total. */
    mounts: z.array(z.string().min(1)).default(['/']),
    /** Interfaces for the net_* metrics. Default: all but loopback. */
    interfaces: z.array(interfaceName).optional(),
  })
  .prefault({});

export type HostConfig = z.output<typeof hostConfigSchema>;
