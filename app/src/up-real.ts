/**
 * `meridian up --real`: the all-in-one for someone trying Meridian on a real GPU box. Instead of the
 * twin it runs the real per-node collector (@meridian/collector's agent: nvidia-smi, host metrics,
 * its pipeline, spool and store sink) for this host into the embedded store, with the same live
 * status and summary. Sources that cannot run here (no nvidia-smi) say so and the rest carry on.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createLogUpdate } from 'log-update';
import { parseConfig, startAgent } from '@meridian/collector';
import { formatDurationS } from '@meridian/sim';
import { privateRunDir } from './token.js';
import { stopSwitch, withStoreTarget } from './run-control.js';
import { serveEmbedded, type ServedStore } from './serve.js';
import type { UpIO, UpOptions } from './up-types.js';

export interface RealSummary {
  readonly wallS: number;
  readonly rowsWritten: number;
  readonly sources: readonly string[];
  readonly unavailable: Readonly<Record<string, string>>;
  readonly store: string;
}

export async function runUpReal(given: UpOptions, io: UpIO): Promise<RealSummary> {
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  const opts = withStoreTarget(given);
  const data = resolve(opts.data ?? './data');
  const doc = {
    collector: { region: process.env.MERIDIAN_REGION ?? 'local', host: hostname(), id: `up-${hostname()}` },
    store: opts.clickhouse ? { clickhouse: opts.clickhouse } : { data },
    // Never a shared temporary directory: the spool holds this user's telemetry and must survive a restart.
    spool: { dir: opts.clickhouse ? join(privateRunDir(), 'up-spool') : join(data, 'spool') },
    pipeline: { flushIntervalMs: 2000 },
  };
  const { config, secrets } = parseConfig(stringify(doc), 'meridian up --real');
  const store = opts.clickhouse ? `ClickHouse ${opts.clickhouse}` : `embedded store in ${data}`;
  const agent = await startAgent({ config, secrets, log: (m) => void io.stderr.write(`${m}\n`) });
  const running = agent.sources.filter((n) => !agent.unavailable.has(n));
  out(`meridian up --real: the collector for ${config.collector.host} (region ${config.collector.region}) → ${store}`);
  out(`sources running: ${running.join(', ') || 'none'}`);
  for (const [name, why] of agent.unavailable) out(`source ${name} cannot run here: ${why}`);
  if (agent.metricsUrl) out(`collector metrics: ${agent.metricsUrl}/metrics`);
  // The embedded store lives in this process: serve ClickHouse's HTTP interface so Grafana can read it.
  let http: ServedStore | undefined;
  if (!opts.clickhouse) {
    try {
      http = await serveEmbedded(data, {
        port: opts.httpPort ?? (opts.port === 0 ? 0 : undefined),
        ...(opts.tls ? { tls: opts.tls } : {}),
      });
    } catch (err) {
      await agent.stop();
      throw err;
    }
    out(http.banner);
  }
  out(
    opts.durationS
      ? `stops by itself after ${formatDurationS(opts.durationS)}; Ctrl-C stops sooner`
      : 'Ctrl-C stops it',
  );

  const started = performance.now();
  const wallS = (): number => (performance.now() - started) / 1000;
  const control = stopSwitch(io);
  const live = io.stdout.isTTY === true ? createLogUpdate(io.stdout as NodeJS.WriteStream) : undefined;
  const line = (): string => {
    const st = agent.sink.stats();
    return `[${formatDurationS(wallS())}] rows written ${st.rowsWritten} (${Math.round(st.rowsWritten / Math.max(1, wallS()))}/s) · store ${st.storeUp ? 'up' : 'DOWN'}${st.lastError ? ` · last error: ${st.lastError}` : ''}`;
  };
  let last = 0;
  try {
    while (!control.stopping() && (opts.durationS === undefined || wallS() < opts.durationS)) {
      await new Promise((r) => setTimeout(r, 200));
      if (performance.now() - last >= (live ? 500 : 5000)) {
        if (live) live(line());
        else out(line());
        last = performance.now();
      }
    }
  } finally {
    control.release();
    live?.done();
    await http?.close();
    await agent.stop();
  }
  const st = agent.sink.stats();
  out(`summary: the collector ran ${formatDurationS(wallS())}; ${st.rowsWritten} rows written to the ${store}`);
  return {
    wallS: wallS(),
    rowsWritten: st.rowsWritten,
    sources: running,
    unavailable: Object.fromEntries(agent.unavailable),
    store,
  };
}
