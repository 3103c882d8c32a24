/**
 * The fabric's topology in YAML: regions, the fiber links between them, and which hosts belong to
 * which region. One schema serves a real fabric (`meridian topology apply`) and the twin's scenario
 * files (sim/src/scenario.ts builds on these pieces), so one file can describe a fabric and its twin.
 *
 * Keys the twin alone reads (a region's host groups, a link's modelled loss and jitter, the scenario's
 * clock, workloads and events) are part of the shared shape: `topology apply` validates them and
 * uses what it can (a region's GPU count from its host groups) or ignores them.
 */
import { z } from 'zod';

/** Region names and link ends: short, lower-case, usable as a label value and a Karmada cluster name. */
export const topologyName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ only (max 63)');

export const gpuSpecSchema = z
  .object({
    model: z.string().min(1),
    memory_gb: z.number().positive().max(16384),
    tdp_w: z.number().positive().max(5000),
    /** Boost SM clock; throttling scales down from it. */
    max_clock_mhz: z.number().positive().max(10000).default(1980),
    mem_clock_mhz: z.number().positive().max(40000).default(2619),
    idle_w: z.number().positive().optional(),
  })
  .strict();

/** The twin's host groups; for a real fabric they state the region's GPU count. */
export const hostGroupSchema = z
  .object({
    count: z.number().int().positive().max(100000),
    gpus_per_host: z.number().int().min(1).max(16),
    gpu: gpuSpecSchema,
  })
  .strict();

/** A region: where it is and, optionally, its cold-aisle inlet temperature with healthy cooling. */
export const regionSchema = z
  .object({
    name: topologyName,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    inlet_c: z.number().min(-20).max(60).optional(),
    hosts: z.array(hostGroupSchema).min(1).optional(),
  })
  .strict();

export const linkSchema = z
  .object({
    from: topologyName,
    to: topologyName,
    /** Fiber route length. Absent: great-circle distance × route_factor. */
    route_km: z.number().positive().max(40000).optional(),
    capacity_gbps: z.number().positive().max(1e6),
    /** The twin's modelled loss (a real link's is measured). */
    loss_pct: z.number().min(0).max(100).default(0),
    /**
     * One-way delay of the equipment on the route (amplifiers, FEC, switches), ms: the RTT floor is
     * 2 × (route_km × 4.897 µs + this) (catalog `fiberRttFloorMs`).
     */
    equipment_delay_ms: z.number().min(0).max(1000).default(0.2),
    /** The twin's modelled jitter above the floor, ms. */
    jitter_ms: z.number().min(0).max(1000).default(0.02),
  })
  .strict();

/**
 * Which hosts belong to a region on a real fabric: by host name (`*` and `?` globs) or by a node
 * label (Kubernetes). The first rule that matches decides.
 */
export const hostRuleSchema = z
  .object({
    region: topologyName,
    name: z.string().min(1).max(253).optional(),
    label: z.record(z.string().min(1).max(316), z.string().max(63)).optional(),
  })
  .strict()
  .refine((r) => (r.name === undefined) !== (r.label === undefined), {
    message: 'give exactly one of name (a host name or glob) or label (node labels)',
  });

/** The route factor's default: fiber route ÷ great-circle distance (Bozkurt et al.: 1.3 median). */
export const DEFAULT_ROUTE_FACTOR = 1.3;
export const routeFactorSchema = z.number().min(1).max(5).default(DEFAULT_ROUTE_FACTOR);

interface TopologyShape {
  regions: readonly { name: string }[];
  links: readonly { from: string; to: string }[];
  hosts?: readonly { region: string }[] | undefined;
}

/** The cross-references both the twin and `topology apply` check: ends exist, no duplicates. */
export function checkTopology(s: TopologyShape, ctx: z.core.$RefinementCtx): Set<string> {
  const regions = new Set<string>();
  s.regions.forEach((r, i) => {
    if (regions.has(r.name))
      ctx.addIssue({ code: 'custom', path: ['regions', i, 'name'], message: `duplicate region "${r.name}"` });
    regions.add(r.name);
  });
  const links = new Set<string>();
  s.links.forEach((l, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!regions.has(l[end]))
        ctx.addIssue({ code: 'custom', path: ['links', i, end], message: `no region named "${l[end]}"` });
    }
    if (l.from === l.to)
      ctx.addIssue({ code: 'custom', path: ['links', i, 'to'], message: 'a link joins two different regions' });
    const key = [l.from, l.to].sort().join('|');
    if (links.has(key))
      ctx.addIssue({ code: 'custom', path: ['links', i], message: `duplicate link between ${l.from} and ${l.to}` });
    links.add(key);
  });
  (s.hosts ?? []).forEach((h, i) => {
    if (!regions.has(h.region))
      ctx.addIssue({ code: 'custom', path: ['hosts', i, 'region'], message: `no region named "${h.region}"` });
  });
  return regions;
}

/** `a->b` names a link in either direction. */
export function linkMatches(l: { from: string; to: string }, id: string): boolean {
  return id === `${l.from}->${l.to}` || id === `${l.to}->${l.from}`;
}

/**
 * The keys of a scenario file that only the twin reads. A topology file may carry them (it is then
 * also a scenario), and `topology apply` ignores them.
 */
const twinOnly = {
  description: z.string().optional(),
  seed: z.unknown().optional(),
  start: z.unknown().optional(),
  tick: z.unknown().optional(),
  restart: z.unknown().optional(),
  workloads: z.unknown().optional(),
  events: z.unknown().optional(),
};

export const topologyFileSchema = z
  .object({
    name: topologyName.optional(),
    route_factor: routeFactorSchema,
    regions: z.array(regionSchema).min(1),
    links: z.array(linkSchema).default([]),
    hosts: z.array(hostRuleSchema).default([]),
    ...twinOnly,
  })
  .strict()
  .superRefine((s, ctx) => {
    checkTopology(s, ctx);
  });

export type TopologyFile = z.output<typeof topologyFileSchema>;
export type TopologyRegion = TopologyFile['regions'][number];
export type TopologyLink = TopologyFile['links'][number];
export type HostRule = TopologyFile['hosts'][number];
