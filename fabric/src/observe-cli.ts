/**
 * `meridian observe --config F`: watches the configured Kubernetes/Karmada clusters (`observer:`)
 * and Slurm clusters (`slurm:`), either or both, and writes `workloads` rows without the rebalancer,
 * so a read-only deployment can feed Grafana. A bad config names the key and exits 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { observerConfigSchema } from './kubernetes/config.js';
import { WorkloadObserver } from './kubernetes/observer.js';
import { slurmConfigSchema } from './slurm/config.js';
import { SlurmObserver } from './slurm/observer.js';

/** The file `meridian observe --config F` reads: the observers, and where the store is. */
export const observeFileSchema = z
  .strictObject({
    observer: observerConfigSchema.optional(),
    slurm: slurmConfigSchema.optional(),
    store: z.strictObject({ data: z.string().optional(), clickhouse: z.string().optional() }).prefault({}),
  })
  .refine((f) => f.observer !== undefined || f.slurm !== undefined, {
    message: 'name the clusters to watch: observer (Kubernetes/Karmada), slurm, or both',
  });
export type ObserveFile = z.output<typeof observeFileSchema>;

function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

export class ObserveConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObserveConfigError';
  }
}

/** Reads and validates the observe config; errors name the file and the key. */
export function loadObserveFile(file: string): ObserveFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ObserveConfigError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const res = observeFileSchema.safeParse(doc ?? {});
  if (!res.success)
    throw new ObserveConfigError(res.error.issues.map((i) => `${file}: ${keyPath(i.path)}: ${i.message}`).join('; '));
  return res.data;
}

interface ObserveFlags {
  config: string;
  data?: string;
  clickhouse?: string;
}

export function registerObserveCommand(program: Command): void {
  program
    .command('observe')
    .description('watch Kubernetes/Karmada and Slurm clusters and write workloads rows (no rebalancer)')
    .requiredOption('--config <file>', 'observer config (YAML: observer and/or slurm, store)')
    .option('--data <dir>', 'embedded store directory (default: config store.data, $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'use a ClickHouse server instead (default: config store.clickhouse)')
    .action(async (flags: ObserveFlags, cmd: Command) => {
      let cfg: ObserveFile;
      try {
        cfg = loadObserveFile(flags.config);
      } catch (err) {
        if (err instanceof ObserveConfigError) cmd.error(`meridian observe: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      const { openStore, resolveStoreTarget, targetOptions } = await import('@meridian/store');
      const target = resolveStoreTarget({ flags, config: { ...cfg.store, file: flags.config } });
      const store = await openStore(targetOptions(target));
      try {
        await store.migrate();
        const log = (l: string) => console.error(`meridian observe: ${l}`);
        const k8s = cfg.observer ? await WorkloadObserver.create({ config: cfg.observer, store, log }) : undefined;
        k8s?.start();
        const slurm = cfg.slurm ? new SlurmObserver({ config: cfg.slurm, store, log }) : undefined;
        slurm?.start();
        const watching = [
          ...(cfg.observer
            ? [`${cfg.observer.clusters.length} Kubernetes cluster(s)${cfg.observer.karmada ? ' + Karmada' : ''}`]
            : []),
          ...(cfg.slurm ? [`${cfg.slurm.clusters.length} Slurm cluster(s)`] : []),
        ];
        log(`${store.description}; ${watching.join(', ')}`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await slurm?.stop();
        await k8s?.stop();
        await k8s?.flush();
        log(`stopped; ${k8s?.stats.rowsWritten ?? 0} row(s) written`);
      } finally {
        await store.close();
      }
    });
}
