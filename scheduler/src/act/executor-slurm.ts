/**
 * The Slurm executor: one Slurm cluster per region (config `executor.clusters`, the observer's
 * cluster list). A move resubmits the job on the destination's cluster and cancels it on the
 * source only once the destination accepted it, through the journalled SlurmMover of
 * @meridian/fabric (which says how a crash between the two is settled). The decision's reason
 * carries both job ids.
 *
 * Placement: Slurm has no weights to set. New work reaches the scheduler's weights through the
 * `meridian-sbatch` wrapper (deploy/slurm/), which reads `GET /api/v1/placement` and submits to the
 * cluster of the heaviest region. Here, with `hold` on, a region the weights leave out (or give 0)
 * gets its pending jobs held (`scontrol hold`), and they are released once it may take work again.
 * When no region may take work, nothing is held: holding everywhere steers nowhere.
 */
import { SlurmMover, type SlurmClusterConfig } from '@meridian/fabric';
import type { Executor, Move, MoveOutcome, PlaceOutcome } from './executor.js';

export interface SlurmExecutorOptions {
  readonly clusters: readonly SlurmClusterConfig[];
  readonly journalDir: string;
  readonly signal?: string;
  readonly graceMs?: number;
  readonly withoutCheckpoint?: 'move' | 'refuse';
  readonly timeoutMs?: number;
  readonly hold?: boolean;
  readonly log?: (line: string) => void;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  readonly mover: SlurmMover;

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.mover = new SlurmMover({
      clusters: opts.clusters,
      journalDir: opts.journalDir,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
      ...(opts.withoutCheckpoint ? { withoutCheckpoint: opts.withoutCheckpoint } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }

  async execute(move: Move): Promise<MoveOutcome> {
    try {
      const r = await this.mover.move({
        moveId: move.moveId,
        workloadId: move.workloadId,
        from: move.from,
        to: move.to,
      });
      const note = `slurm job ${r.from.cluster}:${r.from.jobId} → ${r.to.cluster}:${r.to.jobId}${r.signalled ? ', checkpoint signalled' : ''}`;
      return { status: 'done', note };
    } catch (err) {
      return { status: 'failed', error: (err as Error).message };
    }
  }

  async place(weights: ReadonlyMap<string, number>): Promise<PlaceOutcome> {
    if (this.opts.hold === false) return 'recorded';
    const open = [...weights].filter(([, w]) => w > 0).map(([r]) => r);
    if (open.length === 0) return 'unchanged';
    const closed = new Set(this.opts.clusters.map((c) => c.region).filter((r) => !open.includes(r)));
    return (await this.mover.steer(closed)) ? 'set' : 'unchanged';
  }
}
