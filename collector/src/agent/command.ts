/**
 * `meridian collect --config collector.yaml`: runs the agent until SIGTERM or SIGINT, then flushes
 * everything and exits 0. A config error prints one line naming the key and exits 2.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig, redactConfig, type LoadedConfig } from '../config/index.js';
import type { SenderFactory } from '../sources/stamp-sender/sender-handle.js';
import { senderProcess } from '../sources/stamp-sender/sender-process.js';
import { startAgent } from './agent.js';
import { capJit } from './jit.js';

interface CollectOptions {
  config?: string;
  clickhouse?: string;
  data?: string;
  check?: boolean;
}

export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description(
      'Run the per-node collector: GPU, host and link metrics into ClickHouse, spooled to disk while it is away',
    )
    .option('--config <file>', 'collector.yaml (also $MERIDIAN_COLLECTOR_CONFIG)')
    .option('--clickhouse <url>', 'ClickHouse server to write to (overrides store.clickhouse)')
    .option('--data <dir>', 'embedded store directory, all-in-one only (overrides store.data)')
    .option('--check', 'validate the config, print it with secrets masked, and exit')
    .action(async (o: CollectOptions) => {
      // Capped before the agent's code runs hot; the STAMP sender's process is not (jit.ts).
      process.exitCode = await runCollect(o, undefined, { jitCapped: capJit(), stampSenders: senderProcess() });
    });
}

export async function runCollect(
  o: CollectOptions,
  log: (m: string) => void = (m) => console.error(m),
  /** What the collect command sets up for its own process (none when embedded, as in tests). */
  own?: { readonly jitCapped: boolean; readonly stampSenders: SenderFactory },
): Promise<number> {
  const file = o.config ?? process.env['MERIDIAN_COLLECTOR_CONFIG'];
  if (!file) {
    log('meridian collect: --config <file> is required (or set MERIDIAN_COLLECTOR_CONFIG)');
    return 2;
  }
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(file, {
      flags: {
        // The store's one rule (in loadConfig): a flag for one target clears the other.
        ...(o.clickhouse ? { 'store.clickhouse': o.clickhouse } : {}),
        ...(o.data ? { 'store.data': o.data } : {}),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      log(`meridian collect: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const { config } = loaded;
  if (o.check) {
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return 0;
  }
  const target = config.store.clickhouse
    ? `ClickHouse ${redactConfig(config).store.clickhouse}`
    : `embedded store ${config.store.data}`;
  const agent = await startAgent({
    config,
    secrets: loaded.secrets,
    log,
    ...(own ? { stampSenders: own.stampSenders } : {}),
  });
  log(
    `meridian collector ${config.collector.id} (${config.collector.region}/${config.collector.host}) → ${target}; ` +
      `sources: ${agent.sources.filter((n) => !agent.unavailable.has(n)).join(', ') || 'none'}; flush every ${config.pipeline.flushIntervalMs} ms; spool ${config.spool.dir}` +
      (agent.metricsUrl ? `; metrics ${agent.metricsUrl}/metrics` : '') +
      (agent.tracing.enabled ? '; tracing on (OTLP/gRPC)' : '') +
      (own?.jitCapped ? '; V8 capped at its baseline compiler (STAMP probes from a process of its own)' : '') +
      (loaded.fromEnv.length ? `; overrides from ${loaded.fromEnv.join(', ')}` : ''),
  );

  // Sources and the flush timer are unref'd so that they never hold up an exit; while running, the
  // agent itself is what keeps the process alive (with no metrics port and no GPU, nothing else would).
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (signalled) {
        log(`meridian collector: ${sig} again, exiting now; the spool keeps what was not written`);
        process.exit(1);
      }
      signalled = true;
      log(`meridian collector: ${sig}: flushing`);
      resolve();
    };
    process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  });
  clearInterval(keepAlive);
  await agent.stop();
  const st = agent.sink.stats();
  const sp = agent.sink.spool.stats();
  log(
    `meridian collector: stopped; ${st.rowsWritten} rows written this run` +
      (sp.batches ? `, ${sp.rows} rows left in the spool for the next start` : ', spool empty'),
  );
  return 0;
}
