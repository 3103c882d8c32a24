/**
 * Moves Slurm jobs between the clusters of two regions, safely:
 *  1. find the job live on the source (one squeue);
 *  2. running: with a checkpoint (`ckpt=` in its comment), send the checkpoint signal to its batch
 *     shell and give it the grace time (or until it ends) to write one; without, move only when
 *     allowed (`withoutCheckpoint: 'move'`, the default: the planner has already charged the lost
 *     work to the move's cost, so reaching here means the plan accepted it);
 *  3. save its batch script (`scontrol write batch_script`);
 *  4. journal the intent (fsync'd), then `sbatch` on the target with the job's options rebuilt from
 *     its record (GPUs, partition, time limit, name, nodes, tasks, comment with origin and move id);
 *     a refusal removes the intent and leaves the source as it was: the move fails naming why;
 *  5. journal the target's job id, `scancel` the source, remove the intent.
 * A restart anywhere in 4–5 finds the intent (`recover`, run before every move): a target job
 * carrying the move id means the move finishes (the source is cancelled); none means nothing was
 * submitted, and the intent is dropped. A cluster that cannot be reached keeps the intent for the next
 * try. So a job is never live in two clusters past a recovery, and never lost.
 *
 * Hold and release steer pending work: in a region that must take no more, pending jobs are held
 * (`scontrol hold`); once it may again, the jobs this mover held are released. Which jobs it held is
 * kept in the journal directory, so a restart does not strand them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { clusterName, type SlurmClusterConfig } from './config.js';
import type { SlurmJob } from './jobs.js';
import { MoveJournal, type JournalEntry } from './journal.js';
import {
  cancel,
  clusterJobs,
  hold,
  release,
  sbatchArgs,
  signalJob,
  submit,
  writeBatchScript,
  type OpsLimits,
  type OpsTarget,
} from './ops.js';

export interface SlurmMoverOptions {
  readonly clusters: readonly SlurmClusterConfig[];
  readonly journalDir: string;
  /** Per Slurm command (default 10 s). */
  readonly timeoutMs?: number;
  /** Sent to a running job's batch shell before a move (default USR1). */
  readonly signal?: string;
  /** How long a signalled job may take to checkpoint (default 30 s). */
  readonly graceMs?: number;
  /** A running job without a checkpoint: move it (losing progress) or refuse (default move). */
  readonly withoutCheckpoint?: 'move' | 'refuse';
  readonly log?: (line: string) => void;
}

export interface MoveRequest {
  readonly moveId: string;
  readonly workloadId: string;
  readonly from: string;
  readonly to: string;
}

export interface MoveResult {
  readonly from: { readonly cluster: string; readonly jobId: number };
  readonly to: { readonly cluster: string; readonly jobId: number };
  readonly signalled: boolean;
}

export type RecoverOutcome = 'finished' | 'undone' | 'kept';

export class SlurmMover {
  private readonly targets = new Map<string, OpsTarget>();
  private readonly journal: MoveJournal;
  private readonly limits: OpsLimits;
  private readonly heldFile: string;

  constructor(private readonly opts: SlurmMoverOptions) {
    for (const c of opts.clusters) {
      if (!c.conf) throw new Error(`slurm cluster of region ${c.region}: the executor needs conf (a slurm.conf path)`);
      this.targets.set(c.region, {
        cluster: clusterName(c),
        conf: c.conf,
        region: c.region,
        ...(c.binDir ? { binDir: c.binDir } : {}),
        ...(c.partition ? { partition: c.partition } : {}),
      });
    }
    this.journal = new MoveJournal(opts.journalDir);
    this.limits = { timeoutMs: opts.timeoutMs ?? 10_000 };
    this.heldFile = path.join(opts.journalDir, 'held.json');
  }

  target(region: string): OpsTarget {
    const t = this.targets.get(region);
    if (!t) throw new Error(`no Slurm cluster is configured for region ${region}`);
    return t;
  }

  /** Settles every journalled move; returns what became of each. */
  async recover(): Promise<Map<string, RecoverOutcome>> {
    const out = new Map<string, RecoverOutcome>();
    for (const e of this.journal.entries()) {
      try {
        out.set(e.moveId, await this.settle(e));
      } catch (err) {
        this.log(`slurm move ${e.moveId}: recovery postponed: ${(err as Error).message}`);
        out.set(e.moveId, 'kept');
      }
    }
    return out;
  }

  private async settle(e: JournalEntry): Promise<RecoverOutcome> {
    const src = this.target(e.from.region);
    const dst = this.target(e.to.region);
    const onTarget = (await clusterJobs(dst, this.limits)).find(
      (j) => (j.meta.move === e.moveId || j.jobId === e.to.jobId) && (j.state === 'queued' || j.state === 'running'),
    );
    if (!onTarget) {
      // Nothing was accepted on the target: the source was never touched.
      this.journal.remove(e.moveId);
      this.log(`slurm move ${e.moveId}: nothing reached ${dst.cluster}; ${src.cluster}:${e.from.jobId} stays`);
      return 'undone';
    }
    await cancel(src, e.from.jobId, this.limits);
    this.journal.remove(e.moveId);
    this.log(
      `slurm move ${e.moveId}: finished (${dst.cluster}:${onTarget.jobId} kept, ${src.cluster}:${e.from.jobId} cancelled)`,
    );
    return 'finished';
  }

  async move(req: MoveRequest): Promise<MoveResult> {
    const src = this.target(req.from);
    const dst = this.target(req.to);
    const pending = await this.recover();
    const unsettled = this.journal.entries().filter((e) => pending.get(e.moveId) === 'kept');
    if (unsettled.some((e) => e.workloadId === req.workloadId))
      throw new Error(`an earlier move of ${req.workloadId} is not settled yet (a cluster did not answer)`);
    const job = (await clusterJobs(src, this.limits)).find(
      (j) => j.workloadId === req.workloadId && (j.state === 'queued' || j.state === 'running'),
    );
    if (!job) throw new Error(`job ${req.workloadId} is not queued or running on cluster ${src.cluster}`);
    if (job.state === 'running' && job.meta.checkpointBytes === 0 && this.opts.withoutCheckpoint === 'refuse')
      throw new Error(`job ${req.workloadId} is running without a checkpoint (withoutCheckpoint: refuse)`);
    // The script first: a job that ends on its checkpoint signal takes its script with it.
    const script = this.journal.scriptPath(req.moveId);
    await writeBatchScript(src, job.jobId, script, this.limits);
    let signalled = false;
    if (job.state === 'running' && job.meta.checkpointBytes > 0) {
      // Nothing is journalled yet: a failed signal leaves only the saved script behind, removed here.
      await this.checkpoint(src, job).catch((err: unknown) => {
        fs.rmSync(script, { force: true });
        throw err;
      });
      signalled = true;
    }
    const entry: JournalEntry = {
      moveId: req.moveId,
      workloadId: req.workloadId,
      from: { region: req.from, cluster: src.cluster, jobId: job.jobId },
      to: { region: req.to, cluster: dst.cluster, jobId: null },
      phase: 'submitting',
      ts: Date.now(),
    };
    this.journal.write(entry);
    let newId: number;
    try {
      newId = await submit(dst, sbatchArgs(job, dst, script, req.moveId, job.held && !this.heldByUs(job)), this.limits);
    } catch (err) {
      // Refused, or no answer: settle now. A timed-out sbatch may still have been accepted.
      const settled = await this.settle(entry).catch(() => 'kept' as const);
      if (settled !== 'finished')
        throw new Error(`cluster ${dst.cluster} did not take job ${req.workloadId}: ${(err as Error).message}`, {
          cause: err,
        });
      const now = (await clusterJobs(dst, this.limits)).find((j) => j.meta.move === req.moveId);
      return {
        from: { cluster: src.cluster, jobId: job.jobId },
        to: { cluster: dst.cluster, jobId: now?.jobId ?? 0 },
        signalled,
      };
    }
    this.journal.write({ ...entry, to: { ...entry.to, jobId: newId }, phase: 'submitted' });
    await cancel(src, job.jobId, this.limits);
    this.journal.remove(req.moveId);
    return { from: { cluster: src.cluster, jobId: job.jobId }, to: { cluster: dst.cluster, jobId: newId }, signalled };
  }

  /** Signals the batch shell, then waits for the grace time or until the job has ended. */
  private async checkpoint(src: OpsTarget, job: SlurmJob): Promise<void> {
    await signalJob(src, job.jobId, this.opts.signal ?? 'USR1', this.limits);
    const until = Date.now() + (this.opts.graceMs ?? 30_000);
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, until - Date.now()))));
      const now = (await clusterJobs(src, this.limits)).find((j) => j.jobId === job.jobId);
      if (!now || now.state !== 'running') return;
    }
  }

  private heldSet(): Record<string, number[]> {
    try {
      return JSON.parse(fs.readFileSync(this.heldFile, 'utf8')) as Record<string, number[]>;
    } catch {
      return {};
    }
  }

  private heldByUs(job: SlurmJob): boolean {
    return (this.heldSet()[job.cluster] ?? []).includes(job.jobId);
  }

  /**
   * Holds the pending jobs of the regions in `closed` and releases, elsewhere, what it held before.
   * Resolves to whether anything changed.
   */
  async steer(closed: ReadonlySet<string>): Promise<boolean> {
    const held = this.heldSet();
    let changed = false;
    for (const [region, t] of this.targets) {
      const mine = new Set(held[t.cluster] ?? []);
      const jobs = await clusterJobs(t, this.limits);
      const pending = jobs.filter((j) => j.state === 'queued');
      if (closed.has(region)) {
        const ids = pending.filter((j) => !j.held).map((j) => j.jobId);
        await hold(t, ids, this.limits);
        for (const id of ids) mine.add(id);
        changed ||= ids.length > 0;
      } else {
        const ids = pending.filter((j) => j.held && mine.has(j.jobId)).map((j) => j.jobId);
        await release(t, ids, this.limits);
        mine.clear();
        changed ||= ids.length > 0;
      }
      // Only ids still pending are worth remembering.
      const live = new Set(pending.map((j) => j.jobId));
      held[t.cluster] = [...mine].filter((id) => live.has(id));
    }
    fs.writeFileSync(this.heldFile, JSON.stringify(held), { mode: 0o600 });
    return changed;
  }

  private log(line: string): void {
    (this.opts.log ?? (() => {}))(line);
  }
}
