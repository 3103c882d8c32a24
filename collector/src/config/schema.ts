/**
 * collector.yaml, as a zod schema. Keys are camelCase; every duration is in milliseconds and its
 * key says so. Defaults are what a GPU host wants, so a minimal file names only the region and
 * the store. Secrets are never values in this file: only the names of files that hold them.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { attributionConfigSchema } from '../attribution/config.js';
import { dcgmConfigSchema } from '../sources/dcgm/config.js';
import { hostConfigSchema } from '../sources/host/config.js';
import { kernelLogConfigSchema } from '../sources/kernel-log/config.js';
import { linkPassiveConfigSchema } from '../sources/link-passive/config.js';
import { nvidiaSmiConfigSchema } from '../sources/nvidia-smi/config.js';
import { stampReflectorSectionSchema } from '../sources/stamp-reflector/config.js';
import { stampSenderSectionSchema } from '../sources/stamp-sender/config.js';
import { ms } from './units.js';
const label = z.string().min(1).max(64);

const storeSchema = z
  .strictObject({
    /** ClickHouse server URL (production). Env: MERIDIAN_CLICKHOUSE_URL. */
    clickhouse: z.url({ protocol: /^https?$/ }).optional(),
    /** Embedded store directory. For the all-in-one only: it loads chDB (~240 MB). */
    data: z.string().min(1).optional(),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and underscores')
      .optional(),
    user: z.string().min(1).optional(),
    /** A file holding the password (e.g. a Kubernetes secret volume). Env: MERIDIAN_CLICKHOUSE_PASSWORD(_FILE). */
    passwordFile: z.string().min(1).optional(),
    tlsCaFile: z.string().min(1).optional(),
    requestTimeoutMs: ms(100, 600_000, 10_000),
    /** Apply the schema on start. Default: only for the embedded store; fleets run `meridian migrate` once. */
    migrate: z.boolean().optional(),
  })
  .prefault({});

const pipelineSchema = z
  .strictObject({
    /** A target's rows are sent when this many are buffered... */
    maxRows: z.number().int().min(1).max(1_000_000).default(10_000),
    /** ...or when this much time has passed. Also the most a kill -9 can lose. */
    flushIntervalMs: ms(100, 3_600_000, 10_000),
    /**
     * On SIGTERM, how long the collector keeps writing what is buffered and spooled before it lets
     * go (what is left stays in the spool for the next start). Below the 30 s that the systemd
     * unit's TimeoutStopSec and the DaemonSet's terminationGracePeriodSeconds allow, with room for
     * the rest of shutdown; a slow store (a loaded host, a replay) needs more than a few seconds.
     */
    drainOnStopMs: ms(0, 600_000, 20_000),
  })
  .prefault({});

const spoolSchema = z
  .strictObject({
    /** Write-ahead log directory. Must be writable by the collector's user. */
    dir: z.string().min(1).default('/var/lib/meridian/spool'),
    /** At most 1 TiB: a bound that large is a typo, not a plan. */
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 40)
      .default(256 * 1024 * 1024),
    maxAgeMs: ms(1000, 30 * 24 * 3_600_000, 24 * 3_600_000),
    /** 'always': fsync each batch before it counts as taken (survives power loss); 'never': page cache. */
    fsync: z.enum(['always', 'never']).default('always'),
  })
  .prefault({});

const stampSchema = z
  .strictObject({
    sender: stampSenderSectionSchema,
    reflector: stampReflectorSectionSchema,
    /**
     * Where the clock's synchronisation comes from: one-way delays are stored only when both ends
     * say their clocks are good. "chrony" asks `chronyc -c tracking` every intervalMs; "none"
     * claims nothing (round-trip figures only).
     */
    clock: z
      .strictObject({
        source: z.enum(['chrony', 'none']).default('chrony'),
        command: z.string().min(1).default('chronyc'),
        intervalMs: ms(1_000, 3_600_000, 60_000),
      })
      .prefault({}),
  })
  .prefault({});

const telemetrySchema = z
  .strictObject({
    /** Where /metrics and /healthz listen, "host:port". Empty string turns them off. */
    listen: z
      .string()
      .regex(
        /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$|^$/,
        'must be "host:port", e.g. "127.0.0.1:9464", or "" for off',
      )
      .refine((v) => v === '' || Number(v.slice(v.lastIndexOf(':') + 1)) <= 65_535, 'port must be 0 to 65535')
      .default('127.0.0.1:9464'),
  })
  .prefault({});

export const collectorConfigSchema = z.strictObject({
  collector: z.strictObject({
    /** Prefix of every dedup token; must be unique in the fleet. Default: the host name. */
    id: z.string().min(1).max(128).default(hostname()),
    region: label,
    host: z.string().min(1).max(253).default(hostname()),
  }),
  store: storeSchema,
  pipeline: pipelineSchema,
  spool: spoolSchema,
  /** Each source's own schema lives beside it (sources/<name>/config.ts). */
  sources: z
    .strictObject({
      nvidiaSmi: nvidiaSmiConfigSchema,
      kernelLog: kernelLogConfigSchema,
      dcgm: dcgmConfigSchema,
      host: hostConfigSchema,
      nic: linkPassiveConfigSchema,
    })
    .prefault({}),
  stamp: stampSchema,
  /** Which workload holds each GPU (collector/src/attribution/). */
  attribution: attributionConfigSchema,
  telemetry: telemetrySchema,
});

export type CollectorConfig = z.output<typeof collectorConfigSchema>;
export type CollectorConfigInput = z.input<typeof collectorConfigSchema>;
