/**
 * The STAMP Session-Reflector as a source: it emits no rows, but it is a component that starts,
 * stops, cannot run here (EACCES on port 862 without CAP_NET_BIND_SERVICE is the usual reason, see
 * deploy/README.md) and has counters for /metrics, like every source.
 */
import type { ClockStatusSource } from '../../stamp/clock.js';
import type { StampReflectorConfigInput } from '../../stamp/config.js';
import { REFLECTOR_DROP_COUNTERS, StampReflector, type StampReflectorStats } from '../../stamp/reflector.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { BaseSource, type SourceContext } from '../source.js';

export interface StampReflectorSourceOptions {
  readonly config: StampReflectorConfigInput;
  readonly clock?: ClockStatusSource;
}

export class StampReflectorSource extends BaseSource {
  readonly name = 'stamp-reflector';
  private reflector: StampReflector | undefined;
  /** Where it listens, once started (port 0 in the config picks a free one). */
  address: { address: string; port: number } | undefined;

  constructor(private readonly opts: StampReflectorSourceOptions) {
    super();
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const reflector = new StampReflector(this.opts.config, this.opts.clock ? { clock: this.opts.clock } : {});
    try {
      this.address = await reflector.start();
    } catch (err) {
      this.current = 'unavailable';
      this.reportUnavailable(err instanceof Error ? err.message : String(err));
      return;
    }
    this.reflector = reflector;
    this.current = 'running';
  }

  async stop(): Promise<void> {
    await this.reflector?.close();
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  stats(): Readonly<StampReflectorStats> | undefined {
    return this.reflector?.stats();
  }

  collectMetrics(metrics: CollectorMetrics): void {
    const st = this.reflector?.stats();
    if (!st) return;
    metrics.stampReflected.reset();
    metrics.stampReflected.inc(st.replied);
    metrics.stampReflectorDropped.reset();
    // The reflector's reasons, in Prometheus label style (too-short → too_short).
    for (const [reason, key] of Object.entries(REFLECTOR_DROP_COUNTERS))
      metrics.stampReflectorDropped.inc({ reason: reason.replaceAll('-', '_') }, st[key]);
  }
}
