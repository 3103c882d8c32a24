/**
 * What Meridian reads from `squeue --json` and `sinfo --json` (and slurmrestd's `/jobs` and
 * `/nodes`, which print the same data parser's output). Only the fields used are declared; others
 * pass through. Both the 22.05 shapes (v0.0.38: numbers, a state string) and the 23.02+ shapes
 * (`{set, infinite, number}` objects, state arrays) are accepted, so one parser serves the releases
 * sites run. A field of the wrong type fails with its path (`jobs.3.job_id: …`).
 */
import { z } from 'zod';

/** 22.05: a number or null; 23.02+: `{ set, infinite, number }`. Unset or infinite: null. */
const slurmNumber = z
  .union([z.number(), z.null(), z.object({ set: z.boolean(), infinite: z.boolean().optional(), number: z.number() })])
  .transform((v): number | null => {
    if (v === null) return null;
    if (typeof v === 'number') return v;
    return v.set && !v.infinite ? v.number : null;
  });

/** 22.05: one string; 23.02+: an array of flags, the base state first. */
const slurmState = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const text = z
  .string()
  .nullish()
  .transform((v) => v ?? '');

export const jobSchema = z.object({
  job_id: z.number().int().nonnegative(),
  name: text,
  cluster: text,
  job_state: slurmState,
  partition: text,
  qos: text,
  priority: slurmNumber.optional().transform((v) => v ?? null),
  requeue: z.boolean().optional().default(true),
  comment: text,
  nodes: text,
  node_count: slurmNumber.optional().transform((v) => v ?? null),
  tasks: slurmNumber.optional().transform((v) => v ?? null),
  cpus_per_task: slurmNumber.optional().transform((v) => v ?? null),
  time_limit: slurmNumber.optional().transform((v) => v ?? null),
  tres_per_node: text,
  tres_per_job: text,
  tres_per_task: text,
  gres_detail: z.array(z.string()).optional().default([]),
  batch_flag: z.boolean().optional().default(true),
  state_reason: text,
  current_working_directory: text,
  standard_output: text,
  standard_error: text,
});
export type SqueueJob = z.infer<typeof jobSchema>;

const errorEntry = z.object({ error: text.optional(), description: text.optional() }).passthrough();

export const squeueSchema = z.object({
  jobs: z.array(jobSchema),
  errors: z.array(errorEntry).optional().default([]),
});

export const nodeSchema = z.object({
  name: z.string().min(1),
  state: slurmState,
  gres: text,
  gres_used: text,
  partitions: z.array(z.string()).optional().default([]),
  cpus: slurmNumber.optional().transform((v) => v ?? null),
  real_memory: slurmNumber.optional().transform((v) => v ?? null),
});
export type SinfoNode = z.infer<typeof nodeSchema>;

export const sinfoSchema = z.object({
  nodes: z.array(nodeSchema),
  errors: z.array(errorEntry).optional().default([]),
});

/** Parses `raw` (JSON text) with `schema`; the error names `what` and the first bad field's path. */
export function parseSlurmJson<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${what}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    const at = i && i.path.length > 0 ? i.path.join('.') : '(top level)';
    throw new Error(`${what}: ${at}: ${i?.message ?? 'invalid'}`);
  }
  const errs = (r.data as { errors?: { error?: string; description?: string }[] }).errors ?? [];
  const first = errs[0];
  // A client that cannot reach slurmctld prints its errors here and exits 0 (22.05).
  if (first) {
    const said = [first.error, first.description].filter((x) => x).join(': ') || 'unknown';
    throw new Error(`${what}: Slurm reported an error (is slurmctld up?): ${said.slice(0, 300)}`);
  }
  return r.data;
}
