/**
 * Scenario files: the topology, workloads and scripted events of one twin run, in YAML, validated
 * with zod. Every error names the file and the key (e.g. `links[2].capacity_gbps`), because a
 * scenario is hand-written and the author needs to know exactly which line to fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  checkTopology,
  hostGroupSchema,
  hostRuleSchema,
  linkSchema as link,
  linkMatches,
  regionSchema,
  routeFactorSchema,
  topologyName,
} from '@meridian/fabric';
import { parseDurationS } from './duration.js';

/** Where the shipped scenarios live: sim/scenarios, beside both src/ and dist/. */
export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDurationS(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
});

/**
 * The topology part (regions, links, host rules) is @meridian/fabric's, shared with `meridian topology
 * apply`, so one file describes a real fabric and its twin. The twin needs more of it than a real
 * fabric does: every region's host groups, and its inlet temperature (24 °C unless stated).
 */
const name = topologyName;

const region = regionSchema.extend({
  /** Cold-aisle inlet temperature with healthy cooling. */
  inlet_c: z.number().min(-20).max(60).default(24),
  hosts: z.array(hostGroupSchema).min(1),
});

const range = <T extends z.ZodType>(t: T) => z.tuple([t, t]);

const trainingGen = z
  .object({
    per_hour: z.number().min(0),
    gpus: z.array(z.number().int().positive()).min(1).default([8, 16, 32, 64]),
    duration: range(duration).default([1800, 14400]),
    comm: z
      .array(z.enum(['data_parallel', 'pipeline', 'independent']))
      .min(1)
      .default(['data_parallel', 'pipeline']),
    checkpoint_gb_per_gpu: z.number().positive().default(20),
  })
  .strict();
const inferenceGen = z
  .object({
    per_hour: z.number().min(0),
    replicas: z.array(z.number().int().positive()).min(1).default([2, 4, 8]),
    duration: range(duration).default([3600, 21600]),
    peak_rps_per_replica: z.number().positive().default(40),
    slo_ms: z.number().positive().default(200),
    checkpoint_gb_per_gpu: z.number().positive().default(10),
  })
  .strict();
const batchGen = z
  .object({
    per_hour: z.number().min(0),
    gpus: z.array(z.number().int().positive()).min(1).default([1, 2, 4]),
    duration: range(duration).default([300, 3600]),
    checkpoint_gb_per_gpu: z.number().positive().default(2),
  })
  .strict();

const generator = z
  .object({
    /** Share of the fleet already busy at t=0, so a run starts with something to look at. */
    initial_fill: z.number().min(0).max(1).default(0.6),
    training: trainingGen.optional(),
    inference: inferenceGen.optional(),
    batch: batchGen.optional(),
  })
  .strict();

/** A CSV of any layout, read through named columns (see sim/src/trace-layouts.ts). */
const traceColumns = z
  .object({
    name: z.string().min(1),
    gpus: z.string().min(1),
    /** Submission time, seconds; absent: file order at `rate_per_hour`. */
    arrival: z.string().min(1).optional(),
    /** End time, seconds (or `duration`, seconds). Absent both: `duration` below. */
    end: z.string().min(1).optional(),
    duration: z.string().min(1).optional(),
    /** A column whose value "inference" / "LS" makes a service, "training" a gang, else batch. */
    kind: z.string().min(1).optional(),
    /** A column naming the region a pod was submitted to (a region of the scenario). */
    region: z.string().min(1).optional(),
  })
  .strict();

const trace = z
  .object({
    /** CSV in one of the layouts of sim/src/trace-layouts.ts; relative paths resolve from the scenario file. */
    path: z.string().min(1),
    /** The layout; absent: told from the header (the PAI 2020 tables have none: name them). */
    layout: z.enum(['openb', 'openb-notime', 'pai-2020', 'serving-2025', 'columns']).optional(),
    /** For layout `columns`: which column holds what. */
    columns: traceColumns.optional(),
    /**
     * Trace seconds per simulated second between submissions. Jobs keep their real durations, so
     * this multiplies the load (see sim/README.md, "Fitting a trace to a fabric").
     */
    time_scale: z.number().positive().default(1),
    /** Trace time that maps to simulated t=0; pods alive then start at t=0, part done. */
    offset: duration.default(0),
    /**
     * Pods replayed per trace pod, seeded by the twin's seed: 0.25 keeps a quarter, 3 replays three
     * copies of each (`<name>~1`, `<name>~2`), each on its own hashed region.
     */
    sample: z.number().positive().max(1000).default(1),
    /** Layouts without time columns: submissions per hour, in file order. */
    rate_per_hour: z.number().positive().optional(),
    /** Layouts without an end column: each pod's duration, seeded within [min, max]. */
    duration: range(duration).optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

const at = { at: duration };
const until = { duration: duration.optional() };
const event = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('cooling_loss'),
      ...at,
      ...until,
      region: name,
      severity: z.number().min(0).max(1).default(0.7),
    })
    .strict(),
  z
    .object({
      type: z.literal('link_degradation'),
      ...at,
      ...until,
      link: z.string(),
      /** Added to the round trip, ms (half each way). */
      added_rtt_ms: z.number().min(0).default(0),
      added_loss_pct: z.number().min(0).max(100).default(0),
      capacity_factor: z.number().positive().max(1).default(1),
    })
    .strict(),
  z.object({ type: z.literal('link_cut'), ...at, ...until, link: z.string() }).strict(),
  z
    .object({
      type: z.literal('host_failure'),
      ...at,
      ...until,
      region: name,
      /** How many hosts fail (the first N healthy ones of the region, in order), or their names. */
      hosts: z.union([z.number().int().positive(), z.array(z.string()).min(1)]).default(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('arrival_surge'),
      ...at,
      duration,
      factor: z.number().positive().max(1000),
      kind: z.enum(['training', 'inference', 'batch', 'all']).default('all'),
    })
    .strict(),
]);

const scenarioSchema = z
  .object({
    name,
    description: z.string().optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** Simulated t=0 as an ISO instant. Absent: the caller decides (`up` uses now). */
    start: z.iso.datetime().optional(),
    /** Sample interval (simulated). */
    tick: duration.default(1),
    /** Fiber route length ÷ great-circle distance when a link gives no route_km (Bozkurt et al.: 1.3 median). */
    route_factor: routeFactorSchema,
    /** Restart cost of a moved workload after its checkpoint has arrived. */
    restart: duration.default(60),
    regions: z.array(region).min(1),
    links: z.array(link).default([]),
    /** Host → region rules of a real fabric (`topology apply`); the twin names its own hosts. */
    hosts: z.array(hostRuleSchema).default([]),
    workloads: z.object({ generator: generator.optional(), trace: trace.optional() }).strict().default({}),
    events: z.array(event).default([]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const regions = checkTopology(s, ctx);
    s.events.forEach((e, i) => {
      if ('region' in e && !regions.has(e.region)) {
        ctx.addIssue({ code: 'custom', path: ['events', i, 'region'], message: `no region named "${e.region}"` });
      }
      if ('link' in e && !s.links.some((l) => linkMatches(l, e.link))) {
        ctx.addIssue({
          code: 'custom',
          path: ['events', i, 'link'],
          message: `no link "${e.link}" (write it as "from->to")`,
        });
      }
    });
  });

export type Scenario = z.output<typeof scenarioSchema> & { readonly file: string };
export type ScenarioRegion = Scenario['regions'][number];
export type ScenarioLink = Scenario['links'][number];
export type ScenarioEvent = Scenario['events'][number];
export type GeneratorSpec = z.output<typeof generator>;
export type TraceSpec = z.output<typeof trace>;

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`scenario ${file}: ${problems.join('; ')}`);
    this.name = 'ScenarioError';
  }
}

export { linkMatches };

function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

function readDoc(text: string, file: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ScenarioError(file, [`not valid YAML: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

/**
 * `extends: <scenario>` takes another scenario (a shipped name, or a path relative to this file)
 * and replaces its top-level keys with this file's: the event scenarios reuse the default topology.
 */
function resolveExtends(doc: unknown, file: string, depth = 0): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || !('extends' in doc)) return doc;
  const { extends: base, ...rest } = doc as Record<string, unknown>;
  if (typeof base !== 'string') throw new ScenarioError(file, ['extends: expected a scenario name or path']);
  if (depth > 4) throw new ScenarioError(file, ['extends: chain deeper than 4 (a loop?)']);
  const baseFile = /[/\\]|\.ya?ml$/.test(base) ? resolvePath(dirname(file), base) : join(SCENARIO_DIR, `${base}.yaml`);
  if (!existsSync(baseFile)) throw new ScenarioError(file, [`extends: no scenario "${base}"`]);
  const parent = resolveExtends(readDoc(readFileSync(baseFile, 'utf8'), baseFile), baseFile, depth + 1);
  return { ...(parent as Record<string, unknown>), ...rest };
}

/** Parse and validate scenario text. `file` is only used in messages and to resolve relative paths. */
export function parseScenario(text: string, file = '<inline>'): Scenario {
  const doc = resolveExtends(readDoc(text, file), file);
  const res = scenarioSchema.safeParse(doc);
  if (!res.success)
    throw new ScenarioError(
      file,
      res.error.issues.map((i) => `${keyPath(i.path)}: ${i.message}`),
    );
  return { ...res.data, file };
}

/** The names of the scenarios shipped in sim/scenarios. */
export function builtinScenarios(): string[] {
  return ['default', 'large', 'cooling-loss', 'link-degradation', 'link-cut', 'host-failure', 'arrival-surge', 'trace'];
}

/** A shipped scenario by name (`large`), or a YAML file by path. */
export function loadScenario(nameOrPath: string): Scenario {
  const builtin = join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  const file = /[/\\]|\.ya?ml$/.test(nameOrPath) ? nameOrPath : builtin;
  if (!existsSync(file)) {
    throw new ScenarioError(nameOrPath, [
      `no such file, and not a shipped scenario (shipped: ${builtinScenarios().join(', ')})`,
    ]);
  }
  return parseScenario(readFileSync(file, 'utf8'), file);
}

export function scenarioLabel(s: Scenario): string {
  return s.file.startsWith(SCENARIO_DIR) ? basename(s.file, '.yaml') : s.file;
}
