import { ENTITIES } from '@meridian/catalog';
import { rollupSteps } from './add-metrics.js';
import { onCluster, type Flavor } from './ddl.js';

/**
 * Below this many uncompressed bytes a rollup part is written Compact (all columns in one file)
 * instead of Wide (two to four files per column). The engine's default is 10 MiB, and a rollup table
 * has ~130 columns: the rollup of one 30-s batch of 10,240 GPUs (~17 MB in gpu_1m, as much again in
 * gpu_1h and gpu_1d) was written Wide, 461 files a tier for 10,240 rows (13 Compact). Compact, the
 * same insert with all its views took a third less time with merges stopped and a sixth less with
 * them running (store/README.md). Merges still turn a rollup part Wide once it holds this much, so
 * the long ranges dashboards read stay column by column; the raw tables keep the default: their
 * parts are large and read a few columns at a time.
 */
const ROLLUP_WIDE_PART_BYTES = 64 * 1024 * 1024;

/** Every rollup table (per series and per region, every tier) writes small parts Compact. */
export function compactRollupPartsDdl(f: Flavor): string[] {
  return ENTITIES.flatMap(rollupSteps).map(
    (s) => `ALTER TABLE ${s.table}${onCluster(f)} MODIFY SETTING min_bytes_for_wide_part = ${ROLLUP_WIDE_PART_BYTES}`,
  );
}
