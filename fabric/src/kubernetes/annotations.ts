/**
 * What Kubernetes cannot say about a workload, read from annotations on the workload's top object
 * (the Job, Deployment, JobSet …; a pod's own annotations are not read). Names and defaults:
 *
 * | annotation | value | default |
 * | --- | --- | --- |
 * | `meridian.dev/comm-class` | independent, inference, pipeline, data_parallel | inference for Deployments, StatefulSets and LeaderWorkerSets; data_parallel for JobSets, PyTorchJobs and MPIJobs; independent for Jobs and bare pods |
 * | `meridian.dev/pinned` | true or false | false (the scheduler may move it) |
 * | `meridian.dev/checkpoint-bytes` | bytes, or a Kubernetes quantity (640Gi) | GPUs × 20 GB (training), 10 GB (inference), 2 GB (batch), as the twin assumes |
 * | `meridian.dev/last-checkpoint` | RFC 3339 time | unknown (the scheduler assumes half a checkpoint interval) |
 * | `meridian.dev/latency-budget-ms` | milliseconds > 0 | none |
 * | `meridian.dev/coupled-with` | comma-separated workload ids (`namespace/name`, or a name in the same namespace) | none |
 *
 * A malformed value is reported (object and key) and the default used; the rest of the object is read.
 */
import type { WorkloadRow } from '@meridian/store';

export const ANNOTATION_PREFIX = 'meridian.dev/';
export const ANNOTATIONS = {
  commClass: 'meridian.dev/comm-class',
  pinned: 'meridian.dev/pinned',
  checkpointBytes: 'meridian.dev/checkpoint-bytes',
  lastCheckpoint: 'meridian.dev/last-checkpoint',
  latencyBudgetMs: 'meridian.dev/latency-budget-ms',
  coupledWith: 'meridian.dev/coupled-with',
} as const;

const COMM_CLASSES: readonly WorkloadRow['comm_class'][] = ['independent', 'inference', 'pipeline', 'data_parallel'];
/** Checkpoint size per GPU when none is stated, bytes (the twin's defaults, sim/src/scenario.ts). */
export const DEFAULT_CHECKPOINT_BYTES_PER_GPU: Readonly<Record<WorkloadRow['kind'], number>> = {
  training: 20e9,
  inference: 10e9,
  batch: 2e9,
};

export interface AnnotationProblem {
  readonly key: string;
  readonly value: string;
  readonly message: string;
}

export interface AnnotatedFields {
  comm_class?: WorkloadRow['comm_class'];
  pinned?: number;
  checkpoint_bytes?: number;
  last_checkpoint_ts?: number;
  latency_budget_ms?: number;
  coupled_with?: string[];
}

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

/** A Kubernetes quantity (`640Gi`, `1.5T`, `123`) in bytes; undefined if it is not one. */
export function parseQuantity(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)([kMGTP]i?|Ki)?\s*$/.exec(s);
  if (!m) return undefined;
  const mult = SUFFIX[m[2] ?? ''];
  if (mult === undefined) return undefined;
  const v = Number(m[1]) * mult;
  return Number.isFinite(v) && v <= Number.MAX_SAFE_INTEGER ? Math.round(v) : undefined;
}

/** Reads Meridian's annotations; each malformed one goes to `problems` and is left out. */
export function readAnnotations(
  ann: Readonly<Record<string, string>> | undefined,
  namespace: string,
  problems: AnnotationProblem[],
): AnnotatedFields {
  const out: AnnotatedFields = {};
  if (!ann) return out;
  const bad = (key: string, value: string, message: string) => problems.push({ key, value, message });
  for (const [key, value] of Object.entries(ann)) {
    const v = value.trim();
    switch (key) {
      case ANNOTATIONS.commClass:
        if ((COMM_CLASSES as readonly string[]).includes(v)) out.comm_class = v as WorkloadRow['comm_class'];
        else bad(key, value, `expected one of ${COMM_CLASSES.join(', ')}`);
        break;
      case ANNOTATIONS.pinned:
        if (v === 'true' || v === 'false') out.pinned = v === 'true' ? 1 : 0;
        else bad(key, value, 'expected true or false');
        break;
      case ANNOTATIONS.checkpointBytes: {
        const n = parseQuantity(v);
        if (n !== undefined) out.checkpoint_bytes = n;
        else bad(key, value, 'expected bytes or a quantity such as 640Gi');
        break;
      }
      case ANNOTATIONS.lastCheckpoint: {
        const t = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) ? Date.parse(v) : NaN;
        if (Number.isFinite(t) && t > 0) out.last_checkpoint_ts = t;
        else bad(key, value, 'expected an RFC 3339 time such as 2026-01-02T03:04:05Z');
        break;
      }
      case ANNOTATIONS.latencyBudgetMs: {
        const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
        if (n > 0 && n <= 1e6) out.latency_budget_ms = n;
        else bad(key, value, 'expected milliseconds above 0 (at most 1000000)');
        break;
      }
      case ANNOTATIONS.coupledWith: {
        const ids = v
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== '');
        const invalid = ids.find((x) => !/^([a-z0-9][a-z0-9.-]*\/)?[a-z0-9][a-z0-9.-]*$/.test(x));
        if (invalid !== undefined) bad(key, value, `"${invalid}" is not a workload name or namespace/name`);
        else out.coupled_with = ids.map((x) => (x.includes('/') ? x : `${namespace}/${x}`));
        break;
      }
      default:
        bad(key, value, `unknown Meridian annotation (known: ${Object.values(ANNOTATIONS).join(', ')})`);
    }
  }
  return out;
}
