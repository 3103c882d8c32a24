/** `stamp.sender`: the STAMP Session-Sender's peers and pace (this host and region come from `collector`). */
import { z } from 'zod';
import { ms } from '../../config/units.js';
import { stampPeerSchema } from '../../stamp/config.js';

export const stampSenderSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    peers: z.array(stampPeerSchema).max(1024).default([]),
    rate: z.number().positive().max(1000).default(10),
    intervalMs: ms(100, 3_600_000, 60_000),
    lossTimeoutMs: ms(1, 60_000, 2_000),
    maxClockErrorMs: z.number().positive().max(1000).default(1),
  })
  .prefault({});

export type StampSenderSection = z.output<typeof stampSenderSectionSchema>;
