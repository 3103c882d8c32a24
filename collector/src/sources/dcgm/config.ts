/** `sources.dcgm`: scraping an existing dcgm-exporter. */
import { z } from 'zod';
import { ms } from '../../config/units.js';

export const dcgmConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:9400/metrics'),
    /** dcgm-exporter itself refreshes every 30 s by default; scraping much faster reads the same values. */
    intervalMs: ms(100, 3_600_000, 10_000),
    timeoutMs: ms(100, 60_000, 5_000),
  })
  .prefault({});

export type DcgmConfig = z.output<typeof dcgmConfigSchema>;
