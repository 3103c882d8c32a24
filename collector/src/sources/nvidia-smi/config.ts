/** `sources.nvidiaSmi`: the streaming query, and (same binary, same section) the inventory's interval. */
import { z } from 'zod';
import { ms } from '../../config/units.js';
import { inventoryConfigKeys } from '../inventory/config.js';

export const nvidiaSmiConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** The binary, looked up in PATH unless absolute. */
    command: z.string().min(1).default('nvidia-smi'),
    intervalMs: ms(100, 3_600_000, 1_000),
    ...inventoryConfigKeys,
  })
  .prefault({});

export type NvidiaSmiConfig = z.output<typeof nvidiaSmiConfigSchema>;
