/**
 * R470+ MIG device ids (`MIG-<uuid>`, what the kubelet reports for `nvidia.com/mig-*` and for
 * `nvidia.com/gpu` under the single strategy) → the parent GPU and the instance's "GI/CI", which is
 * how Meridian's GPU samples name a MIG instance (the `-q -x` inventory's `<mig_device>`).
 *
 * No one tool says both: `nvidia-smi -L` lists each MIG device's UUID under its parent GPU with its
 * device index (`  MIG 1g.10gb     Device  0: (UUID: MIG-…)`), and `nvidia-smi -q -x` gives each
 * `<mig_device>` its `<index>`, `<gpu_instance_id>` and `<compute_instance_id>`. Both number the
 * devices by NVML's MIG device index, so the two join on (parent UUID, index).
 *
 * Read only when the kubelet hands out a MIG UUID the directory does not know (a repartition), and
 * at most once a minute: MIG layouts change rarely, and `-q -x` takes seconds on a big host.
 */
import { XMLParser } from 'fast-xml-parser';
import { migInstanceName } from '../parsers/nvidia-smi-xml.js';
import { runOnce } from '../sources/run-once.js';
import type { MigDirectory } from './devices.js';

export interface MigListEntry {
  readonly mig_uuid: string;
  /** The parent GPU's UUID. */
  readonly gpu_uuid: string;
  /** NVML's MIG device index on the parent ("Device  0"). */
  readonly device: number;
  /** `1g.10gb`, as -L prints it. */
  readonly profile: string;
}

const GPU_LINE = /^GPU\s+\d+:.*\(UUID:\s*(GPU-[0-9a-fA-F-]+)\)\s*$/;
const MIG_LINE = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[0-9a-fA-F-]+)\)\s*$/;

/** `nvidia-smi -L` → its MIG devices. A line that is neither kind is a problem naming its number. */
export function parseMigList(text: string): { entries: MigListEntry[]; problems: string[] } {
  const entries: MigListEntry[] = [];
  const problems: string[] = [];
  let parent: string | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const g = GPU_LINE.exec(line);
    if (g) {
      parent = g[1];
      return;
    }
    const m = MIG_LINE.exec(line);
    if (m && parent) entries.push({ gpu_uuid: parent, profile: m[1]!, device: Number(m[2]), mig_uuid: m[3]! });
    else if (m) problems.push(`nvidia-smi -L line ${i + 1}: a MIG device before any GPU line`);
    else problems.push(`nvidia-smi -L line ${i + 1}: neither a GPU nor a MIG line: "${line.slice(0, 80)}"`);
  });
  return { entries, problems };
}

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] =>
  (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).filter(
    (x): x is Node => typeof x === 'object' && x !== null,
  );
const text = (v: unknown): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined;

/** `nvidia-smi -q -x` → "parent UUID|device index" → "GI/CI", for every `<mig_device>`. */
export function migInstancesFromXml(xml: string): Map<string, string> {
  const doc = new XMLParser({ parseTagValue: false }).parse(xml) as Node;
  const out = new Map<string, string>();
  const log = (doc.nvidia_smi_log ?? {}) as Node;
  for (const gpu of asArray(log.gpu)) {
    const uuid = text(gpu.uuid);
    const migs = gpu.mig_devices;
    if (!uuid || typeof migs !== 'object' || migs === null) continue;
    for (const m of asArray((migs as Node).mig_device)) {
      const index = text(m.index);
      const gi = text(m.gpu_instance_id);
      if (index === undefined || gi === undefined) continue;
      out.set(`${uuid}|${index}`, migInstanceName(gi, text(m.compute_instance_id)));
    }
  }
  return out;
}

/** The two joined: MIG UUID → parent and "GI/CI". A device `-q -x` does not list is left out. */
export function migDirectoryOf(entries: readonly MigListEntry[], instances: ReadonlyMap<string, string>): MigDirectory {
  const by = new Map<string, { gpu_uuid: string; mig_instance: string }>();
  for (const e of entries) {
    const gici = instances.get(`${e.gpu_uuid}|${e.device}`);
    if (gici) by.set(e.mig_uuid.toLowerCase(), { gpu_uuid: e.gpu_uuid, mig_instance: gici });
  }
  return (uuid) => by.get(uuid.toLowerCase());
}

export interface MigInventoryOptions {
  readonly command?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** One command's time limit (default 30 s: -q -x takes seconds on a big host). */
  readonly timeoutMs?: number;
  /** Reads at most this often (default 60 s). */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

/** The host's MIG directory, read from nvidia-smi when asked about a MIG UUID it does not know. */
export class MigInventory {
  private directory: MigDirectory = () => undefined;
  private lastRead = -Infinity;
  readonly stats = { reads: 0 };

  constructor(private readonly opts: MigInventoryOptions = {}) {}

  readonly lookup: MigDirectory = (uuid) => this.directory(uuid);

  /**
   * Reads again if one of `ids` is a MIG UUID the directory lacks and the last read is old enough.
   * Returns the problems of the read (empty when it was not needed or went well); never rejects.
   */
  async refreshFor(ids: Iterable<string>): Promise<string[]> {
    const now = (this.opts.now ?? Date.now)();
    if (now - this.lastRead < (this.opts.minIntervalMs ?? 60_000)) return [];
    let unknown = false;
    for (const id of ids) if (/^MIG-(?!GPU-)/.test(id) && !this.directory(id)) unknown = true;
    if (!unknown) return [];
    this.lastRead = now;
    this.stats.reads++;
    const cmd = this.opts.command ?? 'nvidia-smi';
    const limit = this.opts.timeoutMs ?? 30_000;
    const [list, xml] = await Promise.all([
      runOnce(cmd, ['-L'], limit, this.opts.env),
      runOnce(cmd, ['-q', '-x'], limit, this.opts.env),
    ]);
    for (const [what, r] of [
      ['-L', list],
      ['-q -x', xml],
    ] as const)
      if (r.kind !== 'done' || r.code !== 0)
        return [
          `nvidia-smi ${what}: ${r.kind === 'done' ? `exit ${r.code ?? 'signal'}: ${r.stderr.trim().slice(0, 200)}` : r.kind === 'missing' ? `cannot run ${cmd} (${r.code})` : 'timed out'}`,
        ];
    const parsed = parseMigList(list.kind === 'done' ? list.stdout : '');
    try {
      this.directory = migDirectoryOf(parsed.entries, migInstancesFromXml(xml.kind === 'done' ? xml.stdout : ''));
    } catch (err) {
      parsed.problems.push(`nvidia-smi -q -x: ${err instanceof Error ? err.message : String(err)}`);
    }
    return parsed.problems;
  }
}
