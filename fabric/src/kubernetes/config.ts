/**
 * The workload observer's configuration (`observer:` in the scheduler's config, or in the file that
 * `meridian observe --config F` reads). Every error names the key.
 */
import { z } from 'zod';
import { topologyName } from '../topology/schema.js';

export const observerConfigSchema = z
  .strictObject({
    /** Path to a kubeconfig; default: KUBECONFIG, ~/.kube/config, or the pod's service account. */
    kubeconfig: z.string().min(1).optional(),
    /**
     * One cluster per region. `context`: the kubeconfig context that reaches it; default: a context
     * named like the region, else the current context.
     */
    clusters: z.array(z.strictObject({ region: topologyName, context: z.string().min(1).optional() })).default([]),
    /**
     * Karmada's control plane: workload templates and their ResourceBindings say where each runs.
     * `clusters`: member cluster → region (default: the member's name).
     */
    karmada: z
      .strictObject({
        context: z.string().min(1).optional(),
        clusters: z.record(z.string().min(1), topologyName).optional(),
      })
      .optional(),
    /** The rows' `source` tag. */
    source: z.string().min(1).max(64).default('kubernetes'),
    /** How often changed workloads are written (at most). */
    flushSeconds: z.number().positive().max(3600).default(2),
    /** How often every resource is listed again, to find what a missed event left behind. */
    resyncSeconds: z.number().positive().max(86_400).default(300),
    /** Objects per list page. */
    pageSize: z.int().min(10).max(10_000).default(500),
    backoff: z
      .strictObject({
        baseSeconds: z.number().positive().max(3600).default(1),
        maxSeconds: z.number().positive().max(86_400).default(60),
      })
      .prefault({}),
  })
  .refine((c) => c.clusters.length > 0 || c.karmada !== undefined, {
    message: 'name at least one cluster (clusters: [{ region, context }]) or karmada',
    path: ['clusters'],
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.clusters.forEach((cl, i) => {
      if (seen.has(cl.region))
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'region'], message: `region "${cl.region}" twice` });
      seen.add(cl.region);
    });
  });

export type ObserverConfig = z.output<typeof observerConfigSchema>;
