/**
 * Scrapes an existing dcgm-exporter `/metrics` endpoint, so fleets that already run it need no
 * second agent touching the GPUs. Mapped series become gpu rows (source "dcgm"), the rest
 * `extra_metrics`. An endpoint that does not answer is reported unavailable once; scraping goes on
 * at the same pace so the source recovers by itself when the exporter comes up.
 */
import { parseDcgm } from '../../parsers/dcgm.js';
import { emitRecords } from '../emit.js';
import { BaseSource, type SourceContext } from '../source.js';

export interface DcgmSourceOptions {
  /** e.g. http://127.0.0.1:9400/metrics */
  readonly url: string;
  /** Default 10 s (dcgm-exporter itself refreshes every 30 s by default). */
  readonly intervalMs?: number;
  /** Default 5 s. */
  readonly timeoutMs?: number;
}

export class DcgmSource extends BaseSource {
  readonly name = 'dcgm';
  private readonly task = this.periodic('scrape', () => this.scrape());
  readonly stats = { scrapes: 0, failures: 0, samples: 0 };

  constructor(private readonly opts: DcgmSourceOptions) {
    super();
    new URL(opts.url); // throws on a malformed URL at construction, naming it
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    await this.task.runNow();
    this.task.start(this.opts.intervalMs ?? 10_000);
  }

  async stop(): Promise<void> {
    await this.task.stop();
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  /** One scrape; resolves after the rows are emitted or the failure counted. */
  async scrape(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    this.stats.scrapes++;
    let text: string;
    try {
      const res = await fetch(this.opts.url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      this.stats.failures++;
      const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'http_error';
      ctx.errors.count(this.name, 'scrape', reason);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      this.reportUnavailable(`${this.opts.url}: ${cause ?? (err instanceof Error ? err.message : String(err))}`);
      return;
    }
    const ts = this.now();
    const parsed = parseDcgm(text);
    for (const e of parsed.errors) ctx.errors.countDocument(this.name, e);
    this.stats.samples += emitRecords(ctx, this.name, parsed.records, ts);
  }
}
