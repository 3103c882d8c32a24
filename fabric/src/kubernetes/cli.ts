/**
 * `meridian observe --config F`: watches the configured clusters and writes `workloads` rows, without
 * the rebalancer, so a read-only deployment can feed Grafana. A bad config names the key and exits 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { observeFileSchema, type ObserveFile } from './config.js';
import { WorkloadObserver } from './observer.js';

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
    .description('watch Kubernetes/Karmada clusters and write workloads rows (no rebalancer)')
    .requiredOption('--config <file>', 'observer config (YAML: observer, store)')
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
        const observer = await WorkloadObserver.create({ config: cfg.observer, store, log });
        observer.start();
        log(
          `${store.description}; ${cfg.observer.clusters.length} cluster(s)${cfg.observer.karmada ? ' + Karmada' : ''}`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await observer.stop();
        await observer.flush();
        log(`stopped; ${observer.stats.rowsWritten} row(s) written`);
      } finally {
        await store.close();
      }
    });
}
