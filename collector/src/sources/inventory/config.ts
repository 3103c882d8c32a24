/**
 * The inventory source's key. It lives in `sources.nvidiaSmi` (the same binary, and where existing
 * config files have it), and runs whenever the nvidia-smi source is enabled.
 */
import { ms } from '../../config/units.js';

export const inventoryConfigKeys = {
  /** How often `nvidia-smi -q -x` is read for the inventory. */
  inventoryIntervalMs: ms(1_000, 86_400_000, 300_000),
};
