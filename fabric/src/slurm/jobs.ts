/**
 * A Slurm job as Meridian sees it (from one squeue/slurmrestd record), and the `workloads` and
 * `inventory` rows it becomes. Pure functions: the observer and the executor share them.
 */
import type { InventoryRow, WorkloadRow } from '@meridian/store';
import { parseComment, type MeridianComment } from './comment.js';
import type { SinfoNode, SqueueJob } from './schema.js';

export type JobState = WorkloadRow['state'];

export interface SlurmJob {
  readonly cluster: string;
  readonly region: string;
  readonly jobId: number;
  /**
   * Cluster-qualified (`<cluster>:<job id>`: ids collide across clusters), or the id the job had
   * before the executor moved it (`origin` in its comment), so a moved job keeps its identity.
   */
  readonly workloadId: string;
  readonly name: string;
  readonly state: JobState;
  /** Slurm's own state word (PENDING, RUNNING, …). */
  readonly slurmState: string;
  readonly held: boolean;
  readonly partition: string;
  readonly qos: string;
  /** Slurm's priority (the site's scale); Meridian's own is `meta.priority`. */
  readonly slurmPriority: number | null;
  readonly requeue: boolean;
  readonly gpus: number;
  readonly gpusPerNode: number;
  readonly gpuModel: string;
  readonly nodeCount: number;
  readonly tasks: number | null;
  readonly cpusPerTask: number | null;
  /** Minutes; null: no limit. */
  readonly timeLimitMin: number | null;
  readonly comment: string;
  readonly meta: MeridianComment;
  readonly problems: readonly string[];
  readonly cwd: string;
  readonly stdout: string;
  readonly stderr: string;
}

const DONE = new Set(['COMPLETED', 'CANCELLED', 'TIMEOUT', 'PREEMPTED', 'REVOKED']);
const FAILED = new Set(['FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED', 'CONFIGURING', 'RESIZING', 'SIGNALING']);

export function jobState(slurm: string): JobState {
  if (RUNNING.has(slurm)) return 'running';
  if (DONE.has(slurm)) return 'done';
  if (FAILED.has(slurm)) return 'failed';
  return 'queued'; // PENDING, REQUEUED, REQUEUE_HOLD, SPECIAL_EXIT …: waiting to (re)start
}

/**
 * One GPU request of a GRES/TRES string: `gres:gpu:h100:2` (22.05), `gres/gpu:h100=2` (newer),
 * `gpu:h100:2(IDX:0-1)` (GRES detail). Several entries may be comma-separated.
 */
export function gpuRequest(spec: string): { count: number; model: string } | null {
  for (const entry of spec.split(',')) {
    const m = /^(?:gres[:/])?gpu(?::([A-Za-z0-9_.-]+))?[:=](\d+)/.exec(entry.trim());
    if (m) return { count: Number(m[2]), model: m[1] ?? '' };
  }
  return null;
}

/** GPUs a job holds or asks for: the allocation when running, else its request. */
function gpusOf(j: SqueueJob, nodes: number): { gpus: number; perNode: number; model: string } {
  const perNode = gpuRequest(j.tres_per_node);
  const detail = j.gres_detail.map(gpuRequest).filter((g) => g !== null);
  if (detail.length > 0) {
    const total = detail.reduce((s, g) => s + g.count, 0);
    return { gpus: total, perNode: perNode?.count ?? Math.ceil(total / nodes), model: detail[0]?.model ?? '' };
  }
  if (perNode) return { gpus: perNode.count * nodes, perNode: perNode.count, model: perNode.model };
  const perJob = gpuRequest(j.tres_per_job);
  if (perJob) return { gpus: perJob.count, perNode: 0, model: perJob.model };
  const perTask = gpuRequest(j.tres_per_task);
  if (perTask) return { gpus: perTask.count * (j.tasks ?? 1), perNode: 0, model: perTask.model };
  return { gpus: 0, perNode: 0, model: '' };
}

export function toSlurmJob(j: SqueueJob, cluster: string, region: string): SlurmJob {
  const slurmState = j.job_state[0] ?? 'PENDING';
  const nodes = Math.max(1, j.node_count ?? 1);
  const g = gpusOf(j, nodes);
  const { fields, problems } = parseComment(j.comment);
  return {
    cluster,
    region,
    jobId: j.job_id,
    workloadId: fields.origin ?? `${cluster}:${j.job_id}`,
    name: j.name,
    state: jobState(slurmState),
    slurmState,
    held: j.state_reason.startsWith('JobHeld') || j.priority === 0,
    partition: j.partition,
    qos: j.qos,
    slurmPriority: j.priority,
    requeue: j.requeue,
    gpus: g.gpus,
    gpusPerNode: g.perNode,
    gpuModel: g.model,
    nodeCount: nodes,
    tasks: j.tasks,
    cpusPerTask: j.cpus_per_task,
    timeLimitMin: j.time_limit,
    comment: j.comment,
    meta: fields,
    problems,
    cwd: j.current_working_directory,
    stdout: j.standard_output,
    stderr: j.standard_error,
  };
}

export function workloadRow(job: SlurmJob, ts: number): WorkloadRow {
  const m = job.meta;
  return {
    ts,
    source: 'slurm',
    workload_id: job.workloadId,
    kind: m.kind,
    comm_class: m.commClass,
    gpus: job.gpus,
    region: job.region,
    checkpoint_bytes: m.checkpointBytes,
    state: job.state,
    priority: m.priority,
    // A running job Slurm may not requeue cannot be restarted elsewhere without losing it.
    pinned: m.pinned || (job.state === 'running' && !job.requeue) ? 1 : 0,
    coupled_with: [...m.coupledWith],
    gpu_model: job.gpuModel,
    low_comm: m.lowComm ? 1 : 0,
    partition: job.partition,
    qos: job.qos,
    orchestrator_priority: job.slurmPriority,
    requeueable: job.requeue ? 1 : 0,
  };
}

/** A node's GPUs from its configured GRES (`gpu:h100:8`), one inventory row each. */
export function inventoryRows(node: SinfoNode, cluster: string, region: string, ts: number): InventoryRow[] {
  const g = gpuRequest(node.gres);
  if (!g) return [];
  return Array.from({ length: g.count }, (_, i) => ({
    ts,
    source: 'slurm',
    region,
    host: node.name,
    // Slurm knows no GPU UUIDs; the node and GRES index name the GPU until a collector on the node
    // reports the real one.
    gpu_uuid: `slurm:${cluster}:${node.name}:${i}`,
    gpu_index: i,
    model: g.model,
  }));
}
