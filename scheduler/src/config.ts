/**
 * The scheduler's configuration: one zod schema gives the defaults, the types and the errors (each
 * naming the offending key). Secrets are never values here, only the env variable or file that holds
 * them, so a config file can be shared and logged.
 */
import { observerConfigSchema, slurmClusterSchema } from '@meridian/fabric';
import { DEFAULT_LIMITS } from '@meridian/runtime';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/*
 * Every number has bounds: a value past them is a mistake, and some would misbehave silently (Node
 * turns a timer over 2^31 − 1 ms, about 24.8 days, into 1 ms, so an interval of a month would run
 * passes back to back). The error names the key and the bound.
 */
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const fraction = z.number().min(0).max(1);
/** A duration in seconds, 0 allowed (0 turns the rule off, or makes it immediate). */
const seconds = (max: number) => z.number().min(0).max(max);
/** A duration in seconds that must be above 0. */
const period = (max: number) => z.number().positive().max(max);
/** A timeout in milliseconds. */
const millis = (max: number) => z.number().positive().max(max);
const count = (max: number) => z.int().min(0).max(max);

/** A secret comes from an environment variable or a file, never from the config text itself. */
const secretRef = z
  .strictObject({ env: z.string().min(1).optional(), file: z.string().min(1).optional() })
  .refine((s) => (s.env === undefined) !== (s.file === undefined), { message: 'give exactly one of env or file' });

const band = (low: number, high: number, persist: number) =>
  z
    .strictObject({
      low: fraction.default(low),
      high: fraction.default(high),
      persistSeconds: seconds(DAY).default(persist),
    })
    .refine((b) => b.low < b.high, { message: 'low must be below high (the dead band lies between them)' });

const executorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('dry-run') }),
  z.strictObject({ kind: z.literal('approval') }),
  z.strictObject({
    kind: z.literal('webhook'),
    url: z.url(),
    secret: secretRef,
    timeoutMs: millis(10 * MINUTE * 1000).default(5000),
  }),
  z.strictObject({
    kind: z.literal('kubernetes'),
    /** karmada: patch a PropagationPolicy's static weights; deployments: scale one Deployment per region. */
    mode: z.enum(['karmada', 'deployments']),
    /** Path to a kubeconfig; default: the usual KUBECONFIG lookup. */
    kubeconfig: z.string().optional(),
    namespace: z.string().min(1).default('default'),
    /** deployments mode: region → kubeconfig context of the member cluster. */
    contexts: z.record(z.string(), z.string()).optional(),
    /** karmada mode: region → Karmada member cluster name (default: the region's name). */
    clusters: z.record(z.string(), z.string()).optional(),
    /** deployments mode: how long new replicas may take to become ready before the move is undone. */
    readyTimeoutSeconds: period(DAY).default(300),
  }),
  z.strictObject({
    kind: z.literal('slurm'),
    /** Per region one Slurm cluster (its slurm.conf), as the Slurm observer's config names them. */
    clusters: z.array(slurmClusterSchema).min(1),
    /** Where moves in progress are journalled (fsync'd) so a restart settles them. */
    journalDir: z.string().min(1),
    /** Sent to a running job's batch shell before it moves (its cue to checkpoint). */
    signal: z
      .string()
      .regex(/^[A-Z0-9]+$/, 'a signal name such as USR1')
      .default('USR1'),
    /** How long a signalled job may take to write its checkpoint. */
    graceSeconds: seconds(HOUR).default(30),
    /** A running job without a checkpoint: move it (its lost work is in the move's cost) or refuse. */
    withoutCheckpoint: z.enum(['move', 'refuse']).default('move'),
    /** Per Slurm command; past it the command is killed. */
    timeoutSeconds: period(10 * MINUTE).default(10),
    /** Hold pending jobs in regions the placement weights close, and release them after. */
    hold: z.boolean().default(true),
  }),
]);

export const configSchema = z
  .strictObject({
    intervalSeconds: period(DAY).default(30),
    /** Window over which rollups are averaged (smoothing: no decision on one spike). */
    windowSeconds: period(DAY).default(300),
    /**
     * The freshest window (seconds), read beside the smoothed one. Load and throttling move work away
     * only while this window still shows them above their high threshold: the smoothed figure lags a
     * recovery by up to `windowSeconds`.
     */
    recentSeconds: period(DAY).default(60),
    /** How far ahead a move's benefit is counted, in seconds of the new placement. */
    horizonSeconds: period(30 * DAY).default(3600),
    /** A move must bring more than cost × margin. */
    margin: z.number().min(1).max(100).default(1.5),
    solver: z.enum(['auto', 'milp', 'greedy']).default('auto'),
    /** auto: above this many decision variables the greedy heuristic runs instead of the MILP. */
    milpMaxVariables: z.int().positive().max(10_000_000).default(1000),
    /** A MILP not proven optimal in this time falls back to the greedy heuristic. */
    milpTimeLimitSeconds: period(HOUR).default(1),
    freshness: z
      .strictObject({
        staleAfterSeconds: period(DAY).default(90),
        failoverTimeoutSeconds: period(7 * DAY).default(300),
      })
      .prefault({}),
    /** Region load (the larger of allocated share and measured utilization), with its dead band. */
    load: band(0.6, 0.85, 120).prefault({}),
    /**
     * Imbalance: a region's allocated share above the fleet's (allocated GPUs ÷ GPUs over the fresh
     * regions), in share points. Above `high` for `persistSeconds` its work becomes a candidate for
     * balancing; it stops being one at `low`.
     */
    balance: band(0.1, 0.2, 120).prefault({}),
    /**
     * GPUs the plan keeps free in the region with the most free GPUs, so that a gang that size can
     * still start somewhere: a perfectly balanced fleet has no room left for its largest jobs. Default:
     * the largest gang running now. 0 turns the reserve off.
     */
    keepFreeGpus: count(10_000_000).optional(),
    /**
     * Placement steering: each pass, executors that can (`place`, e.g. the twin) get weights for where
     * new work starts, so arrivals fill the least-allocated healthy regions and balancing needs fewer
     * moves (see placement.ts). false leaves new work where the platform puts it.
     */
    placement: z
      .strictObject({
        steer: z.boolean().default(true),
        /**
         * Kubernetes executor, karmada mode: the Karmada policy that governs NEW workloads, whose static
         * weights are set to the placement weights each pass they change. Without it the Kubernetes
         * executor does not place (the weights are still recorded and served on the API).
         */
        policy: z
          .strictObject({
            kind: z.enum(['PropagationPolicy', 'ClusterPropagationPolicy']),
            /** PropagationPolicy: its namespace (default: executor.namespace); not for the cluster-scoped kind. */
            namespace: z.string().min(1).optional(),
            name: z.string().min(1),
          })
          .refine((p) => p.kind === 'PropagationPolicy' || p.namespace === undefined, {
            message: 'a ClusterPropagationPolicy is cluster-scoped: remove namespace',
            path: ['namespace'],
          })
          .optional(),
      })
      .prefault({}),
    /** Share of GPU time throttled. */
    throttle: band(0.05, 0.2, 120).prefault({}),
    /** XID + uncorrectable ECC errors per GPU-hour, in errors, not a fraction. */
    errors: z
      .strictObject({
        low: z.number().min(0).max(1e6).default(0.01),
        high: z.number().min(0).max(1e6).default(0.05),
        persistSeconds: seconds(DAY).default(120),
      })
      .refine((b) => b.low < b.high, { message: 'low must be below high (the dead band lies between them)' })
      .prefault({}),
    link: z
      .strictObject({
        /** RTT over the fiber floor. */
        rttRatioLow: z.number().min(1).max(1000).default(1.3),
        rttRatioHigh: z.number().min(1).max(1000).default(1.8),
        lossPctLow: z.number().min(0).max(100).default(0.2),
        lossPctHigh: z.number().min(0).max(100).default(1),
        /** Throughput over capacity. */
        utilLow: fraction.default(0.7),
        utilHigh: fraction.default(0.92),
        persistSeconds: seconds(DAY).default(60),
      })
      .refine((l) => l.rttRatioLow < l.rttRatioHigh && l.lossPctLow < l.lossPctHigh && l.utilLow < l.utilHigh, {
        message: 'each low threshold must be below its high threshold',
      })
      .prefault({}),
    cooldownSeconds: seconds(30 * DAY).default(1800),
    /** A move back to the region a job left within this window is an A→B→A flap, and is refused. */
    flapWindowSeconds: seconds(30 * DAY).default(7200),
    limits: z
      .strictObject({
        movesPerPass: count(100_000).default(4),
        movesPerRegionPerPass: count(100_000).default(2),
        movesPerHour: count(1_000_000).default(20),
        /**
         * The three counts above are for a fleet of this many GPUs; a fleet of G GPUs gets them times
         * ⌊G ÷ this⌋ (at least once), as the disruption budget is a share of the fleet already: the
         * defaults were set on 512 GPUs in 4 regions, and at 10,240 GPUs in 8 they let a cooling loss
         * shed 20 of a region's ~1,300 GPUs an hour. 0: the counts as given, whatever the fleet.
         */
        perGpus: count(10_000_000).default(512),
        /** Most GPUs in migration at once, as a share of the fabric's GPUs. */
        disruptionBudget: fraction.default(0.1),
        /** Workloads at or above this priority are never moved for balance (only evacuated). */
        priorityThreshold: z.number().min(-1e9).max(1e9).default(1000),
      })
      .prefault({}),
    backoff: z
      .strictObject({
        baseSeconds: period(DAY).default(60),
        maxSeconds: period(30 * DAY).default(3600),
        maxAttempts: z.int().positive().max(1000).default(5),
      })
      .prefault({}),
    migration: z
      .strictObject({
        restartSeconds: seconds(DAY).default(120),
        /** When a workload does not report its last checkpoint, assume it is half an interval old. */
        checkpointIntervalSeconds: seconds(30 * DAY).default(1800),
        /** Bandwidth a transfer may use is the link's spare capacity, but at least this share of it. */
        minBandwidthShare: fraction.default(0.05),
        /**
         * GPU-seconds every move costs whatever its size: rescheduling, image pulls, cache warm-up,
         * and the chance that it fails. With it, one large move beats several small ones that bring
         * the same, so the plan makes fewer moves. A divisible set pays it per replica moved.
         */
        overheadGpuSeconds: seconds(30 * DAY).default(3600),
      })
      .prefault({}),
    /** Weights that turn figures into GPU-seconds of value. */
    value: z
      .strictObject({
        /**
         * Value of relieving one GPU of allocation overload in a hot region, per GPU-second (1 = a whole
         * GPU). Below 1 because a full region loses no work by being full, only headroom: at 0.25 cheap
         * moves (inference, fresh checkpoints) rebalance, while training with an hour-old checkpoint
         * moves only when its region degrades (throttling, errors, failure) or its links do.
         */
        overloadPerGpu: z.number().min(0).max(100).default(0.25),
        /** Slowdown of a throttled GPU. */
        throttleSlowdown: fraction.default(0.5),
        /**
         * Share of a latency-bound inference service's value lost on a throttled GPU. Serving replicas
         * are sized for their peak with little headroom (the twin's: 1.25×), so a throttled clock puts
         * p99 past the SLO, and an answer that comes late is lost, not slower: at 1 a throttled
         * region's inference is worth moving before its batch and training are.
         */
        inferenceThrottleSlowdown: fraction.default(1),
        /** Share of work lost in a region whose error rate is at the high threshold. */
        errorPenalty: fraction.default(0.5),
        /** Slowdown of pipeline work whose stages talk over a degraded link. */
        couplingPenalty: fraction.default(0.5),
        /**
         * Value of one GPU of work moved from a region above the fleet's allocated share to one below
         * it, per GPU-second over the horizon (the plan prices imbalance: GPUs allocated away from the
         * fleet's share, summed over regions). Balance buys headroom for arrivals and failover in
         * every region, not work done now, so it is worth less than a GPU's output: at 0.6 a gang with
         * an unknown checkpoint age (half an interval of work lost) barely pays for its move on
         * balance alone, and cheaper moves (fresh checkpoints, inference) do.
         */
        balancePerGpu: z.number().min(0).max(100).default(0.6),
      })
      .prefault({}),
    /** Every plan waits for a person (the API's approve/reject) before the executor sees it. */
    requireApproval: z.boolean().default(false),
    /** A plan not approved within this long expires. */
    approvalTtlSeconds: period(30 * DAY).default(900),
    verify: z.strictObject({ timeoutSeconds: period(7 * DAY).default(600) }).prefault({}),
    executor: executorSchema.prefault({ kind: 'dry-run' }),
    /**
     * The Kubernetes/Karmada workload observer (@meridian/fabric), run inside `meridian schedule` so
     * the plan sees the clusters' workloads; absent: workloads come from whoever else writes them.
     */
    observer: observerConfigSchema.optional(),
    store: z
      .strictObject({ data: z.string().optional(), clickhouse: z.string().optional(), source: z.string().optional() })
      .prefault({}),
    record: z
      .strictObject({
        grafana: z
          .strictObject({ url: z.url(), token: secretRef.optional(), dashboardUID: z.string().optional() })
          .optional(),
        alertmanager: z.strictObject({ url: z.url(), generatorURL: z.url().optional() }).optional(),
        webhook: z.strictObject({ url: z.url(), secret: secretRef.optional() }).optional(),
        timeoutMs: millis(10 * MINUTE * 1000).default(5000),
        /**
         * A hold (a move refused for the same reason as last pass) is written again only after this
         * long, so a pinned job in a hot region does not add a row every pass. 0 writes every pass.
         */
        holdRepeatSeconds: seconds(30 * DAY).default(600),
      })
      .prefault({}),
    api: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.int().min(0).max(65535).default(8787),
        tokens: z
          .array(z.strictObject({ name: z.string().min(1), role: z.enum(['viewer', 'operator']), secret: secretRef }))
          .max(1000)
          .default([]),
        /**
         * How long a client may hold a connection (node:http's server timeouts): a client that sends
         * its headers or body slowly, or keeps an idle socket open, is cut off, token or not.
         */
        timeouts: z
          .strictObject({
            /** Whole request (headers and body) received within this long, else 408 and close. */
            requestSeconds: period(10 * MINUTE).default(DEFAULT_LIMITS.requestTimeoutMs / 1000),
            /** Headers received within this long; at most requestSeconds. */
            headersSeconds: period(10 * MINUTE).default(DEFAULT_LIMITS.headersTimeoutMs / 1000),
            /** An idle keep-alive connection is closed after this long. */
            keepAliveSeconds: period(10 * MINUTE).default(DEFAULT_LIMITS.keepAliveTimeoutMs / 1000),
            /** A socket with no traffic at all is closed after this long. */
            idleSeconds: period(HOUR).default(DEFAULT_LIMITS.idleTimeoutMs / 1000),
          })
          .refine((t) => t.headersSeconds <= t.requestSeconds, {
            message: 'headersSeconds must not exceed requestSeconds (the headers are part of the request)',
            path: ['headersSeconds'],
          })
          .prefault({}),
        /** Connections open at once; more are refused. The app and a few operators need a handful. */
        maxConnections: z.int().min(1).max(65_535).default(DEFAULT_LIMITS.maxConnections),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.placement.policy && !(c.executor.kind === 'kubernetes' && c.executor.mode === 'karmada'))
      ctx.addIssue({
        code: 'custom',
        path: ['placement', 'policy'],
        message:
          'a placement policy is set by the kubernetes executor in karmada mode only: set executor.kind kubernetes and executor.mode karmada, or remove placement.policy',
      });
  });

export type SchedulerConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ExecutorConfig = SchedulerConfig['executor'];
export type SecretRef = z.infer<typeof secretRef>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; the error names the first bad key as a dotted path. */
export function parseConfig(input: unknown, origin = 'config'): SchedulerConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue ? issue.path.map(String).join('.') || '(top level)' : '(top level)';
  const keys = issue && issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new ConfigError(`${origin}: key "${key}": ${issue?.message ?? 'invalid'}${keys}`, key);
}

export function loadConfigFile(file: string): SchedulerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`, '(file)');
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`, '(file)');
  }
  return parseConfig(parsed, file);
}

/** Reads a secret; the value is returned to the caller and never logged or put in errors. */
export function readSecret(ref: SecretRef, what: string): string {
  if (ref.env !== undefined) {
    const v = process.env[ref.env];
    if (v === undefined || v === '') throw new ConfigError(`${what}: environment variable ${ref.env} is not set`, what);
    return v;
  }
  try {
    return readFileSync(ref.file as string, 'utf8').trim();
  } catch {
    throw new ConfigError(`${what}: cannot read secret file ${ref.file}`, what);
  }
}
