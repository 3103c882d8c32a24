/**
 * The Slurm commands a move, a hold and a release are made of, per cluster. Each is one bounded
 * client call (see command.ts); none is issued per job where one call can carry many ids.
 */
import { runSlurm, SlurmCommandError, type SlurmTarget } from './command.js';
import { commentForMove } from './comment.js';
import { toSlurmJob, type SlurmJob } from './jobs.js';
import { parseSlurmJson, squeueSchema } from './schema.js';

export interface OpsTarget extends SlurmTarget {
  readonly region: string;
  /** Partition for jobs moved in; default: the job's own. */
  readonly partition?: string;
}

export interface OpsLimits {
  readonly timeoutMs: number;
}

/** Every job of the cluster (one `squeue --json`). */
export async function clusterJobs(t: OpsTarget, limits: OpsLimits): Promise<SlurmJob[]> {
  const out = await runSlurm(t, 'squeue', ['--json'], { timeoutMs: limits.timeoutMs, maxBytes: 256 * 1024 * 1024 });
  return parseSlurmJson(squeueSchema, out, `squeue --json on ${t.cluster}`).jobs.map((j) =>
    toSlurmJob(j, t.cluster, t.region),
  );
}

/** The sbatch arguments that recreate `job` (its script file last) on `target`. */
export function sbatchArgs(job: SlurmJob, target: OpsTarget, script: string, moveId: string, hold: boolean): string[] {
  const a = ['--parsable', `--job-name=${job.name || job.workloadId}`];
  const partition = target.partition ?? job.partition;
  if (partition) a.push(`--partition=${partition}`);
  if (job.timeLimitMin !== null) a.push(`--time=${job.timeLimitMin}`);
  a.push(`--nodes=${job.nodeCount}`);
  if (job.tasks !== null && job.tasks > 0) a.push(`--ntasks=${job.tasks}`);
  if (job.cpusPerTask !== null && job.cpusPerTask > 0) a.push(`--cpus-per-task=${job.cpusPerTask}`);
  const model = job.gpuModel ? `${job.gpuModel}:` : '';
  if (job.gpusPerNode > 0) a.push(`--gres=gpu:${model}${job.gpusPerNode}`);
  else if (job.gpus > 0) a.push(`--gpus=${model}${job.gpus}`);
  a.push(`--comment=${commentForMove(job.comment, job.workloadId, moveId)}`);
  if (job.cwd) a.push(`--chdir=${job.cwd}`);
  if (job.stdout) a.push(`--output=${job.stdout}`);
  if (job.stderr) a.push(`--error=${job.stderr}`);
  if (hold) a.push('--hold');
  a.push(script);
  return a;
}

/** Saves the job's batch script (do this before any scancel: afterwards the id is gone). */
export async function writeBatchScript(t: OpsTarget, jobId: number, file: string, limits: OpsLimits): Promise<void> {
  await runSlurm(t, 'scontrol', ['write', 'batch_script', String(jobId), file], limits);
}

/** Submits; resolves to the new job id. A refusal rejects with sbatch's words. */
export async function submit(t: OpsTarget, args: readonly string[], limits: OpsLimits): Promise<number> {
  const out = (await runSlurm(t, 'sbatch', args, limits)).trim();
  // --parsable prints "<id>" or "<id>;<cluster>".
  const id = Number(out.split(';')[0]);
  if (!Number.isInteger(id) || id <= 0)
    throw new Error(`sbatch on ${t.cluster} printed no job id ("${out.slice(0, 80)}")`);
  return id;
}

/** Cancels; a job that has already ended counts as cancelled. */
export async function cancel(t: OpsTarget, jobId: number, limits: OpsLimits): Promise<void> {
  try {
    await runSlurm(t, 'scancel', [String(jobId)], limits);
  } catch (err) {
    if (err instanceof SlurmCommandError && /already completing or completed|Invalid job id/i.test(err.stderr)) return;
    throw err;
  }
}

/** Sends the batch shell `signal` (e.g. USR1): the job's cue to write a checkpoint. */
export async function signalJob(t: OpsTarget, jobId: number, signal: string, limits: OpsLimits): Promise<void> {
  await runSlurm(t, 'scancel', [`--signal=${signal}`, '--batch', String(jobId)], limits);
}

export async function hold(t: OpsTarget, ids: readonly number[], limits: OpsLimits): Promise<void> {
  if (ids.length > 0) await runSlurm(t, 'scontrol', ['hold', ids.join(',')], limits);
}

export async function release(t: OpsTarget, ids: readonly number[], limits: OpsLimits): Promise<void> {
  if (ids.length > 0) await runSlurm(t, 'scontrol', ['release', ids.join(',')], limits);
}
