/** `stamp.sender`: the STAMP Session-Sender's peers and pace (this host and region come from `collector`). */
import { z } from 'zod';
import { ms } from '../../config/units.js';
import { stampPeerSchema } from '../../stamp/config.js';
import { STAMP_PORT } from '../../stamp/packet.js';

/**
 * When `peers` names none, the sender probes what the fabric's roster gives this host (see
 * stamp/roster.ts): a few elected probers per pair of regions, read from the store's topology and
 * the hosts that report. A host that is not elected runs the reflector only.
 */
export const stampRosterSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Probing hosts per region for each peer region. */
    probersPerPeer: z.number().int().min(1).max(64).default(2),
    /** How often the roster is read again (a stale prober is replaced within this plus staleAfterMs). */
    intervalMs: ms(5_000, 3_600_000, 60_000),
    /** A host that has not reported for this long neither probes nor is probed. */
    staleAfterMs: ms(60_000, 86_400_000, 180_000),
    /** The port every collector's reflector listens on. */
    port: z.number().int().min(1).max(65535).default(STAMP_PORT),
  })
  .prefault({});

export const stampSenderSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    peers: z.array(stampPeerSchema).max(1024).default([]),
    roster: stampRosterSchema,
    rate: z.number().positive().max(1000).default(10),
    intervalMs: ms(100, 3_600_000, 60_000),
    lossTimeoutMs: ms(1, 60_000, 2_000),
    maxClockErrorMs: z.number().positive().max(1000).default(1),
  })
  .prefault({});

export type StampSenderSection = z.output<typeof stampSenderSectionSchema>;
export type StampRosterConfig = z.output<typeof stampRosterSchema>;
