/**
 * Two real Slurm clusters, east and west, on 127.0.0.1 for a test file (Debian's packages are
 * installed first when missing and we are root; see ensureSlurmInstalled). Each file passes its
 * own slot so files running side by side use different ports. The caller stops them by PID in
 * afterAll, which runs whether or not the tests passed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSlurmInstalled, runSlurm, startLocalSlurm, type LocalCluster, type LocalSlurm } from '@meridian/fabric';

export const EAST_FIRST_JOB = 1000;
export const WEST_FIRST_JOB = 500_000;

export async function twoClusters(slot: number, nodes = 2): Promise<LocalSlurm> {
  ensureSlurmInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'meridian-slurm-'));
  const base = 20_000 + slot * 1000;
  return startLocalSlurm(dir, [
    { name: 'east', nodes, gpusPerNode: 8, ctldPort: base, nodePortBase: base + 10, firstJobId: EAST_FIRST_JOB },
    { name: 'west', nodes, gpusPerNode: 8, ctldPort: base + 500, nodePortBase: base + 510, firstJobId: WEST_FIRST_JOB },
  ]);
}

/** sbatch on `c` (output to /dev/null, run in the cluster's directory); resolves to the job id. */
export async function sbatch(c: LocalCluster, args: readonly string[]): Promise<number> {
  const out = await runSlurm(c, 'sbatch', ['--parsable', '--output=/dev/null', `--chdir=${c.dir}`, ...args]);
  return Number(out.trim().split(';')[0]);
}

/** The cluster's live jobs as `id state` pairs (one squeue). */
export async function liveIds(c: LocalCluster): Promise<Map<number, string>> {
  const out = await runSlurm(c, 'squeue', ['-h', '-o', '%i %T']);
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state && !['COMPLETED', 'CANCELLED', 'COMPLETING'].includes(state)) m.set(Number(id), state);
  }
  return m;
}
