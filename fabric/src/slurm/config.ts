/**
 * Which Slurm cluster serves which region, for the observer and the Slurm executor alike: per region
 * one cluster, reached either through its `slurm.conf` (the Slurm clients, `squeue --json` …) or
 * through slurmrestd (a URL and a JWT in a 0600 file). A bad key fails naming its path.
 */
import { z } from 'zod';

export const slurmClusterSchema = z
  .strictObject({
    /** The Meridian region this cluster serves. */
    region: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    /** Slurm's ClusterName (qualifies job ids); default: the region. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
      .optional(),
    /** Path to the cluster's slurm.conf (SLURM_CONF for every client command). */
    conf: z.string().min(1).optional(),
    /** Directory of the Slurm client binaries; default: PATH. */
    binDir: z.string().min(1).optional(),
    /** Read through slurmrestd instead of the clients (the executor still needs `conf`). */
    rest: z
      .strictObject({
        url: z.url(),
        /** File holding a token from `scontrol token` (mode 0600). */
        tokenFile: z.string().min(1),
        user: z.string().min(1),
        /** OpenAPI plugin version the daemon serves (22.05: v0.0.38). */
        apiVersion: z
          .string()
          .regex(/^v0\.0\.\d+$/)
          .default('v0.0.38'),
      })
      .optional(),
    /** Partition for jobs moved into this cluster; default: the job's own partition name. */
    partition: z.string().min(1).optional(),
  })
  .refine((c) => c.conf !== undefined || c.rest !== undefined, {
    message: 'give conf (a slurm.conf path) or rest (a slurmrestd URL and token file)',
  });

export const slurmConfigSchema = z.strictObject({
  clusters: z
    .array(slurmClusterSchema)
    .min(1)
    .refine((cs) => new Set(cs.map((c) => c.region)).size === cs.length, {
      message: 'one cluster per region: a region is named twice',
    }),
  /** One read of every cluster per interval. */
  intervalSeconds: z.number().min(1).max(3600).default(15),
  /** Nodes (sinfo) are read every this many passes; jobs (squeue) every pass. */
  nodesEveryPasses: z.int().min(1).max(1000).default(4),
  /** A cluster that has not answered within this is killed off and reported stale. */
  timeoutSeconds: z.number().min(1).max(300).default(10),
});

export type SlurmConfigInput = z.input<typeof slurmConfigSchema>;
export type SlurmConfig = z.output<typeof slurmConfigSchema>;
export type SlurmClusterConfig = SlurmConfig['clusters'][number];

export function parseSlurmConfig(input: unknown, where = 'slurm'): SlurmConfig {
  const r = slurmConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const at = [where, ...(i?.path ?? []).map(String)].join('.');
  throw new Error(`${at}: ${i?.message ?? 'invalid'}`);
}

export function clusterName(c: SlurmClusterConfig): string {
  return c.name ?? c.region;
}
