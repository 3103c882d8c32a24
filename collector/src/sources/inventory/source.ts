/**
 * `nvidia-smi -q -x` at start-up and every `intervalMs`, for the inventory (UUID, serial,
 * driver/CUDA, MIG, ECC, power limit, PCIe max) and for what the streaming query cannot give: MIG
 * instances' memory, BAR1, remapped rows, retired pages, PCIe replay and throughput. Each read
 * also refreshes the GpuDirectory the kernel-log source attributes XIDs with.
 *
 * Rows carry source "nvidia-smi" (the tool they come from) and document errors are counted under
 * "nvidia-smi-xml", as before this was a source of its own.
 *
 * On the same cadence, `nvidia-smi nvlink -e` gives the NVLink CRC, replay and recovery counters a
 * host without DCGM has (summed per GPU, each link as an extra metric); they are folded into the same
 * GPU's row of that read, so one read is one row per GPU. A host whose nvidia-smi refuses the
 * subcommand says so once and is not asked again.
 */
import { NVIDIA_SMI_QUERY_FIELDS } from '../../parsers/catalog-fields.js';
import { parseNvidiaSmiNvlink } from '../../parsers/nvidia-smi-nvlink.js';
import { parseNvidiaSmiXml } from '../../parsers/nvidia-smi-xml.js';
import type { ParsedRecord } from '../../parsers/record.js';
import { emitRecords } from '../emit.js';
import type { GpuDirectory } from '../gpu-directory.js';
import { NO_GPU } from '../nvidia-smi/no-gpu.js';
import { runOnce } from '../run-once.js';
import { BaseSource, type SourceContext } from '../source.js';

export interface NvidiaSmiInventoryOptions {
  /** Path of the nvidia-smi binary. Default "nvidia-smi" (on PATH). */
  readonly path?: string;
  /** How often to re-read `-q -x`. Default 5 minutes; 0 reads it only at start. */
  readonly intervalMs?: number;
  /** `-q -x` must finish within this. Default 30 s (it takes seconds on big hosts). */
  readonly timeoutMs?: number;
  /** How long start() waits for the first read before returning. Default 5 s. */
  readonly startWaitMs?: number;
  /** Extra environment for the child (tests steer the simulated nvidia-smi with it). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the GPUs' PCI addresses go for the kernel-log source. */
  readonly gpus?: GpuDirectory;
  /** Read `nvidia-smi nvlink -e` with each inventory. Default true. */
  readonly nvlink?: boolean;
}

/** The tool's name on rows and error counters. */
const TOOL = 'nvidia-smi';

/** Metrics only the XML provides; the others come from the stream and are not duplicated. */
const QUERY_METRICS = new Set(NVIDIA_SMI_QUERY_FIELDS.map((f) => f.metric.name));

export class NvidiaSmiInventorySource extends BaseSource {
  readonly name = 'nvidia-smi-inventory';
  private readonly path: string;
  private readonly task = this.periodic('inventory', async () => {
    await this.readInventory();
  });
  readonly stats = { reads: 0 };
  /** Set once nvidia-smi has refused `nvlink -e` on this host. */
  private nvlinkRefused = false;

  constructor(private readonly opts: NvidiaSmiInventoryOptions = {}) {
    super();
    this.path = opts.path ?? 'nvidia-smi';
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    const interval = this.opts.intervalMs ?? 300_000;
    if (interval > 0) this.task.start(interval);
    // -q -x can take seconds on a big host: start() waits for it at most `startWaitMs`.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.task.runNow(),
      new Promise<void>((r) => (timer = setTimeout(r, this.opts.startWaitMs ?? 5000))),
    ]);
    clearTimeout(timer);
    if (this.state() === 'unavailable') await this.stop();
  }

  async stop(): Promise<void> {
    // A read in progress (up to timeoutMs) is not waited for: its rows are not needed.
    this.task.cancel();
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  /** Runs `-q -x` once; returns false when nvidia-smi cannot run here at all. */
  async readInventory(): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx) return false;
    const env = this.opts.env ? { ...process.env, ...this.opts.env } : process.env;
    const res = await runOnce(this.path, ['-q', '-x'], this.opts.timeoutMs ?? 30_000, env);
    if (res.kind === 'missing') {
      this.current = 'unavailable';
      this.task.cancel();
      this.reportUnavailable(`${this.path}: ${res.code}`);
      return false;
    }
    if (res.kind === 'timeout') {
      ctx.errors.count(TOOL, 'inventory', 'timeout');
      return true;
    }
    if (res.code !== 0 && NO_GPU.test(res.stdout + res.stderr)) {
      this.current = 'unavailable';
      this.task.cancel();
      this.reportUnavailable((res.stdout + res.stderr).trim().split('\n')[0] ?? 'no GPU');
      return false;
    }
    const parsed = parseNvidiaSmiXml(res.stdout);
    for (const e of parsed.errors) ctx.errors.countDocument(`${TOOL}-xml`, e);
    this.opts.gpus?.update(parsed.addresses);
    const ts = this.now();
    this.stats.reads++;
    if (parsed.inventory.length > 0) {
      ctx.emit(
        'inventory',
        parsed.inventory.map((i) => ({ ts, source: TOOL, region: ctx.region, host: ctx.host, ...i })),
      );
    }
    const nvlink = await this.readNvlink(env);
    emitRecords(ctx, `${TOOL}-xml`, withNvlink(parsed.records.map(xmlOnly), nvlink), ts);
    return true;
  }

  /** `nvidia-smi nvlink -e`, parsed; none when it is off, refused, or late (counted). */
  private async readNvlink(env: NodeJS.ProcessEnv): Promise<readonly ParsedRecord[]> {
    const ctx = this.ctx;
    if (!ctx || this.opts.nvlink === false || this.nvlinkRefused) return [];
    const res = await runOnce(this.path, ['nvlink', '-e'], this.opts.timeoutMs ?? 30_000, env);
    if (res.kind === 'missing') return [];
    if (res.kind === 'timeout') {
      ctx.errors.count(`${TOOL}-nvlink`, 'nvlink', 'timeout');
      return [];
    }
    if (res.code !== 0) {
      this.nvlinkRefused = true;
      const why = (res.stdout + res.stderr).trim().split('\n')[0] || `exit code ${res.code}`;
      this.reportUnavailable(`nvidia-smi nvlink -e: ${why}`, 'nvlink');
      return [];
    }
    const parsed = parseNvidiaSmiNvlink(res.stdout);
    for (const e of parsed.errors) ctx.errors.countDocument(`${TOOL}-nvlink`, e);
    return parsed.records;
  }
}

/** Folds each GPU's NVLink counters into its whole-GPU record of the same read (or keeps them apart). */
function withNvlink(records: readonly ParsedRecord[], nvlink: readonly ParsedRecord[]): ParsedRecord[] {
  const out = [...records];
  for (const n of nvlink) {
    const i = out.findIndex((r) => r.labels.gpu_uuid === n.labels.gpu_uuid && r.labels.mig_instance === undefined);
    const r = out[i];
    if (!r) {
      out.push(n);
      continue;
    }
    out[i] = {
      ...r,
      values: { ...r.values, ...n.values },
      errors: [...r.errors, ...n.errors],
      extra: [...r.extra, ...n.extra],
    };
  }
  return out;
}

/** Keeps a whole-GPU XML record to the metrics the stream lacks; MIG records are kept whole. */
function xmlOnly(r: ParsedRecord): ParsedRecord {
  if (r.labels.mig_instance !== undefined) return r;
  const values = Object.fromEntries(Object.entries(r.values).filter(([k]) => !QUERY_METRICS.has(k)));
  return { ...r, values, errors: r.errors.filter((e) => !QUERY_METRICS.has(e.field)) };
}
