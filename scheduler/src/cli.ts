/**
 * `meridian schedule --config F`: runs the scheduler loop and its HTTP API against the store.
 * A bad config names the key and exits 2; secrets come from env or files and are never printed.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfigFile, parseConfig, type SchedulerConfig } from './config.js';
import { createExecutor, createSinks, effectiveConfig } from './act/factory.js';
import { createScheduler, type PassReport } from './scheduler.js';
import type { WhatIfEngine } from './api/whatif.js';
import { startTracingSdk } from '@meridian/runtime';
import type { Store } from '@meridian/store';

interface ScheduleFlags {
  config?: string;
  data?: string;
  clickhouse?: string;
  once?: boolean;
  fresh?: boolean;
  port?: string;
  api?: boolean;
  whatif?: string;
  minutes?: string;
}

/** What the `meridian` command injects: the twin's what-if engine, loaded only when asked for. */
export interface ScheduleCommandDeps {
  readonly whatIf?: () => Promise<WhatIfEngine>;
}

/** One line per pass for the log: what moved, what was held and why. */
export function summarizePass(r: PassReport): string {
  const moves = r.executed.map(
    (e) => `${e.planned.move.workloadId} ${e.planned.move.from}→${e.planned.move.to} (${e.outcome.status})`,
  );
  const held = new Map<string, number>();
  for (const x of r.plan?.rejected ?? []) held.set(x.reason, (held.get(x.reason) ?? 0) + 1);
  const heldText = [...held.entries()].map(([k, n]) => `${k}×${n}`).join(', ');
  return `${new Date(r.ts).toISOString()} ${r.passId}${r.paused ? ' [paused]' : ''}: ${moves.length} move(s)${moves.length ? ` [${moves.join('; ')}]` : ''}${heldText ? `; held: ${heldText}` : ''}; solver ${r.plan?.solver.method ?? '-'}; ${r.durationMs.toFixed(1)} ms`;
}

/** Starts the configured workload observer; with `once`, waits for its first complete write. */
async function startObserver(
  cfg: SchedulerConfig,
  store: Store,
  once: boolean,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (!cfg.observer) return undefined;
  const { WorkloadObserver } = await import('@meridian/fabric');
  const observer = await WorkloadObserver.create({
    config: cfg.observer,
    store,
    log: (l) => console.error(`meridian schedule: observer: ${l}`),
  });
  observer.start();
  if (once) await observer.waitForSync();
  return observer;
}

export function registerScheduleCommand(program: Command, deps: ScheduleCommandDeps = {}): void {
  program
    .command('schedule')
    .description('run the feedback rebalancer and its HTTP API')
    .option('--config <file>', 'scheduler config (YAML); without it, the defaults (dry-run)')
    .option('--data <dir>', 'embedded store directory (default: config store.data, $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'use a ClickHouse server instead (default: config store.clickhouse)')
    .option('--port <n>', 'API port (default: config api.port, 8787)')
    .option('--no-api', 'do not start the HTTP API')
    .option('--once', 'run one pass, print its decisions as JSON lines, and exit')
    .option('--fresh', 'with --once: consider every unpinned workload (manual rebalance)')
    .option(
      '--whatif <what>',
      'project on the twin and exit: plan, cooling_loss:<region>[:<severity>], region_failure:<region>, link_cut:<from>-><to>',
    )
    .option('--minutes <n>', 'with --whatif: minutes to play forward (1–240, default 30)')
    .action(async (flags: ScheduleFlags, cmd: Command) => {
      let cfg: SchedulerConfig;
      try {
        cfg = effectiveConfig(flags.config ? loadConfigFile(flags.config) : parseConfig({}));
      } catch (err) {
        if (err instanceof ConfigError) cmd.error(`meridian schedule: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      let port = cfg.api.port;
      if (flags.port !== undefined) {
        port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          cmd.error(`--port: expected 0–65535, got "${flags.port}"`, { exitCode: 2 });
      }
      let executor;
      let sinks;
      try {
        executor = await createExecutor(cfg);
        sinks = createSinks(cfg);
      } catch (err) {
        if (err instanceof ConfigError) cmd.error(`meridian schedule: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      const { openStore, resolveStoreTarget, targetOptions } = await import('@meridian/store');
      // The one rule: a flag, then the config file, then the environment; a flag for one target clears the other.
      const target = resolveStoreTarget({
        flags,
        ...(flags.config ? { config: { ...cfg.store, file: flags.config } } : {}),
      });
      const store = await openStore(targetOptions(target));
      const tracing = await startTracingSdk('meridian-scheduler');
      let observer: { stop(): Promise<void> } | undefined;
      try {
        await store.migrate();
        if (flags.whatif !== undefined) {
          const { parseMinutes, whatIfOnce } = await import('./api/whatif-cli.js');
          const { WhatIfError } = await import('./api/whatif.js');
          if (!deps.whatIf) cmd.error('--whatif: this build has no what-if engine (the twin)', { exitCode: 2 });
          try {
            const engine = await deps.whatIf();
            const r = await whatIfOnce(store, cfg, engine, {
              what: flags.whatif,
              minutes: parseMinutes(flags.minutes),
              now: Date.now(),
            });
            console.log(JSON.stringify(r, null, 2));
          } catch (err) {
            if (err instanceof WhatIfError) cmd.error(`meridian schedule: ${err.message}`, { exitCode: 2 });
            throw err;
          }
          return;
        }
        // The observer (when configured) feeds the workloads table the passes read; --once needs it
        // synced and flushed before its one pass.
        observer = await startObserver(cfg, store, flags.once === true);
        const s = await createScheduler({
          config: cfg,
          store,
          executor,
          sinks,
          log: (l) => console.error(`meridian schedule: ${l}`),
          ...(flags.once ? {} : { onPass: (r: PassReport) => console.error(summarizePass(r)) }),
        });
        if (flags.once) {
          const r = await s.runPass({ fresh: flags.fresh ?? false });
          for (const d of r.decisions) console.log(JSON.stringify(d));
          console.error(summarizePass(r));
          return;
        }
        const api = flags.api === false ? null : await s.startApi({ port });
        console.error(
          `meridian schedule: ${store.description}; executor ${s.executor.name}${tracing.enabled ? '; tracing to OTLP' : ''}${cfg.requireApproval ? ' (approval required)' : ''}; every ${cfg.intervalSeconds} s` +
            (api ? `; API on ${api.url}` : ''),
        );
        s.start();
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        await s.stop();
        console.error('meridian schedule: stopped');
      } finally {
        await observer?.stop();
        await tracing.shutdown().catch(() => undefined);
        await store.close();
      }
    });
}
