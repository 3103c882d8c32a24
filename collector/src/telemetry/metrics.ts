/**
 * The collector's health on a Prometheus /metrics endpoint (prom-client), and /healthz. Its own
 * registry, so that tests and an all-in-one process with several components do not collide.
 */
import type { Server } from 'node:http';
import { boundedHttpServer, DEFAULT_LIMITS, type ServerLimits } from '@meridian/runtime';
import type { AddressInfo } from 'node:net';
import { COLLECTOR_SELF_METRICS } from '@meridian/catalog';
import { Counter, Gauge, Registry } from 'prom-client';

export interface CollectorMetrics {
  readonly registry: Registry;
  /** Rows produced, per source (nvidia-smi, host, stamp…) and target table. */
  readonly samples: Counter<'source' | 'target'>;
  /**
   * Batches that reached the store (outcome="written"), that the spool could not take and went
   * straight to the store (outcome="unspooled", also counted as written), or that were lost (outcome="lost").
   */
  readonly batches: Counter<'target' | 'outcome'>;
  readonly rowsWritten: Counter<'target'>;
  /** Failed store writes (each is retried from the spool). */
  readonly writeErrors: Counter;
  readonly spoolBytes: Gauge;
  readonly spoolBatches: Gauge;
  /** Rows thrown away: by the spool's bounds (reason bytes/age/corrupt), or refused by the store's validation. */
  readonly droppedRows: Counter<'reason'>;
  /** Parse and collection errors, per source, field ("" when not about one field) and reason. */
  readonly errors: Counter<'source' | 'field' | 'reason'>;
  readonly storeUp: Gauge;
  /** Whether each source runs on this host (0: not available here, reported once). */
  readonly sourceUp: Gauge<'source'>;
  /** STAMP Session-Sender, per link: probes the kernel refused, and replies that were no STAMP reply of ours. */
  readonly stampSendErrors: Counter<'link_id'>;
  readonly stampInvalidReplies: Counter<'link_id'>;
  /** Send slots the Session-Sender skipped because the event loop was late by more than a period. */
  readonly stampSkippedSlots: Counter;
  readonly stampProbedPeers: Gauge;
  /** STAMP Session-Reflector: requests answered, and requests it refused or could not answer, by reason. */
  readonly stampReflected: Counter;
  readonly stampReflectorDropped: Counter<'reason'>;
  /** Sets what runs just before each scrape (reading the spool's size, folding in error counts). */
  onScrape(fn: () => void): void;
}

export function createCollectorMetrics(opts: { processMetrics?: boolean } = {}): CollectorMetrics {
  const registry = new Registry();
  const p = 'meridian_collector_';
  const r = [registry];
  if (opts.processMetrics ?? true) {
    // Not prom-client's collectDefaultMetrics: its event-loop-delay monitor wakes every 10 ms and
    // cost 1.1 % of a core on an idle process here, twice the collector's whole budget. These two
    // are read from the kernel only when /metrics is scraped.
    new Gauge({
      name: `${p}process_resident_memory_bytes`,
      help: 'Resident memory size in bytes',
      registers: r,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Counter({
      name: `${p}process_cpu_seconds_total`,
      help: 'User and system CPU time spent in seconds',
      registers: r,
      collect() {
        const u = process.resourceUsage();
        this.reset();
        this.inc((u.userCPUTime + u.systemCPUTime) / 1e6);
      },
    });
  }
  let scrapeHook: (() => void) | undefined;
  return {
    onScrape: (fn) => {
      scrapeHook = fn;
    },
    registry,
    samples: new Counter({
      name: COLLECTOR_SELF_METRICS.samples,
      help: 'Rows produced by the sources',
      labelNames: ['source', 'target'],
      registers: r,
    }),
    batches: new Counter({
      name: `${p}batches_total`,
      help: 'Batches by outcome',
      labelNames: ['target', 'outcome'],
      registers: r,
    }),
    rowsWritten: new Counter({
      name: `${p}rows_written_total`,
      help: 'Rows the store took',
      labelNames: ['target'],
      registers: r,
    }),
    writeErrors: new Counter({
      name: COLLECTOR_SELF_METRICS.writeErrors,
      help: 'Store writes that failed and will be retried',
      registers: r,
    }),
    spoolBytes: new Gauge({
      name: COLLECTOR_SELF_METRICS.spoolBytes,
      help: 'Bytes waiting in the write-ahead log',
      registers: r,
      // Registered before the gauges and counters the hook sets, so a scrape sees fresh values.
      collect: () => scrapeHook?.(),
    }),
    spoolBatches: new Gauge({
      name: COLLECTOR_SELF_METRICS.spoolBatches,
      help: 'Batches waiting in the write-ahead log',
      registers: r,
    }),
    droppedRows: new Counter({
      name: COLLECTOR_SELF_METRICS.dropped,
      help: 'Rows dropped, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    errors: new Counter({
      name: COLLECTOR_SELF_METRICS.errors,
      help: 'Collection and parse errors by source, field and reason',
      labelNames: ['source', 'field', 'reason'],
      registers: r,
    }),
    storeUp: new Gauge({ name: `${p}store_up`, help: '1 while the last store write succeeded', registers: r }),
    stampSendErrors: new Counter({
      name: `${p}stamp_send_errors_total`,
      help: 'STAMP probes that could not be sent (socket errors, e.g. ICMP unreachable), per link',
      labelNames: ['link_id'],
      registers: r,
    }),
    stampInvalidReplies: new Counter({
      name: `${p}stamp_invalid_replies_total`,
      help: 'Datagrams from a STAMP peer that were not a well-formed reply of our length, per link',
      labelNames: ['link_id'],
      registers: r,
    }),
    stampProbedPeers: new Gauge({
      name: `${p}stamp_probed_peers`,
      help: 'Peer regions this host probes now (configured, or elected by the roster; 0: reflector only)',
      registers: r,
    }),
    stampSkippedSlots: new Counter({
      name: `${p}stamp_skipped_slots_total`,
      help: 'STAMP send slots skipped because the event loop was late by more than one period',
      registers: r,
    }),
    stampReflected: new Counter({
      name: `${p}stamp_reflector_replied_total`,
      help: 'STAMP requests the Session-Reflector answered',
      registers: r,
    }),
    stampReflectorDropped: new Counter({
      name: `${p}stamp_reflector_dropped_total`,
      help: 'STAMP requests the Session-Reflector did not answer, by reason',
      labelNames: ['reason'],
      registers: r,
    }),
    sourceUp: new Gauge({
      name: `${p}source_up`,
      help: '1 if the source runs on this host',
      labelNames: ['source'],
      registers: r,
    }),
  };
}

export interface Health {
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics and GET /healthz on "host:port" (port 0 picks a free one). */
export async function serveMetrics(
  listen: string,
  metrics: CollectorMetrics,
  health: () => Health,
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<MetricsServer> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  const server: Server = boundedHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
    } else {
      res.writeHead(404).end('not found: try /metrics or /healthz\n');
    }
  }, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
