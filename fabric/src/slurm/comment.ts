/**
 * What Slurm cannot tell Meridian about a job, declared by its owner in the job's comment
 * (`sbatch --comment`), in one token:
 *
 *     meridian:comm=pipeline,ckpt=40G,coupled=east:1001+east:1002,prio=10,pinned=1,kind=training
 *
 * keys (all optional; any other text in the comment is left alone):
 * - `kind`: training | inference | batch (default batch)
 * - `comm`: independent | inference | pipeline | data_parallel | low (low: data-parallel with rare
 *   sync, DiLoCo-style, which may span regions) (default independent)
 * - `ckpt`: bytes the job's checkpoint holds (suffix K, M, G, T: powers of 1024). Present and not 0:
 *   the job checkpoints when signalled (the executor's signal, default USR1), so a running job can
 *   move without losing its progress. Default 0: no checkpoint.
 * - `pinned`: 1 keeps the job where it is (default 0; a running job that Slurm may not requeue is
 *   pinned too)
 * - `coupled`: workload ids it exchanges per-step traffic with, `+`-separated
 * - `prio`: Meridian's priority (`limits.priorityThreshold`), default 0; not Slurm's priority, whose
 *   scale is the site's own
 * - `origin`, `move`: written by the Slurm executor on a job it resubmitted: the workload id the job
 *   had before (so its identity, cooldowns and history survive the move) and the move's id (so a
 *   restarted executor finds the job it submitted)
 *
 * A value that does not parse falls back to its default and is reported, naming the key: a typo in
 * one job's comment must not stop the cluster from being read.
 */

export type CommClass = 'independent' | 'inference' | 'pipeline' | 'data_parallel';
export type WorkloadKind = 'training' | 'inference' | 'batch';

export interface MeridianComment {
  readonly kind: WorkloadKind;
  readonly commClass: CommClass;
  readonly lowComm: boolean;
  readonly checkpointBytes: number;
  readonly pinned: boolean;
  readonly coupledWith: readonly string[];
  readonly priority: number;
  readonly origin?: string;
  readonly move?: string;
}

export const DEFAULT_COMMENT: MeridianComment = {
  kind: 'batch',
  commClass: 'independent',
  lowComm: false,
  checkpointBytes: 0,
  pinned: false,
  coupledWith: [],
  priority: 0,
};

const PREFIX = 'meridian:';
const KINDS = new Set<string>(['training', 'inference', 'batch']);
const COMMS = new Set<string>(['independent', 'inference', 'pipeline', 'data_parallel']);
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const ID = /^[A-Za-z0-9_.:/-]+$/;

function bytes(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(v);
  if (!m) return null;
  return Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1));
}

/** The token's fields, with defaults for what it lacks, and a list of what could not be read. */
export function parseComment(comment: string): { fields: MeridianComment; problems: string[] } {
  const problems: string[] = [];
  const token = comment.split(/\s+/).find((t) => t.startsWith(PREFIX));
  if (!token) return { fields: DEFAULT_COMMENT, problems };
  const f: { -readonly [K in keyof MeridianComment]: MeridianComment[K] } = { ...DEFAULT_COMMENT };
  for (const part of token.slice(PREFIX.length).split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    const bad = (why: string) => problems.push(`comment key ${key}: ${why} (got "${v.slice(0, 40)}")`);
    switch (key) {
      case 'kind':
        if (KINDS.has(v)) f.kind = v as WorkloadKind;
        else bad('expected training, inference or batch');
        break;
      case 'comm':
        if (v === 'low') {
          f.commClass = 'data_parallel';
          f.lowComm = true;
        } else if (COMMS.has(v)) f.commClass = v as CommClass;
        else bad('expected independent, inference, pipeline, data_parallel or low');
        break;
      case 'ckpt': {
        const b = bytes(v);
        if (b === null) bad('expected a size such as 40G');
        else f.checkpointBytes = b;
        break;
      }
      case 'pinned':
        if (v === '1' || v === '0') f.pinned = v === '1';
        else bad('expected 1 or 0');
        break;
      case 'coupled': {
        const ids = v.split('+').filter((x) => x !== '');
        if (ids.every((x) => ID.test(x))) f.coupledWith = ids;
        else bad('expected workload ids joined by +');
        break;
      }
      case 'prio':
        if (/^-?\d{1,9}$/.test(v)) f.priority = Number(v);
        else bad('expected an integer');
        break;
      case 'origin':
      case 'move':
        if (ID.test(v)) f[key] = v;
        else bad('expected an id');
        break;
      default:
        problems.push(`comment key ${key}: unknown (known: kind, comm, ckpt, pinned, coupled, prio, origin, move)`);
    }
  }
  return { fields: f, problems };
}

/**
 * The comment for a resubmitted job: the original with its Meridian token's `origin` and `move`
 * set (everything else the owner wrote is kept).
 */
export function commentForMove(comment: string, origin: string, moveId: string): string {
  const parts = comment.split(/\s+/).filter((t) => t !== '');
  const i = parts.findIndex((t) => t.startsWith(PREFIX));
  const kept =
    i < 0
      ? []
      : parts[i]!.slice(PREFIX.length)
          .split(',')
          .filter((p) => p !== '' && !p.startsWith('origin=') && !p.startsWith('move='));
  const token = `${PREFIX}${[...kept, `origin=${origin}`, `move=${moveId}`].join(',')}`;
  if (i < 0) parts.push(token);
  else parts[i] = token;
  return parts.join(' ');
}
