/**
 * The one small interface every source implements. A source pushes rows to `ctx.emit` (the
 * pipeline's push), counts its problems in `ctx.errors`, and, when it cannot run on this host at all
 * (no nvidia-smi, no ethtool, no endpoint), says so once through `ctx.unavailable` and carries on
 * without taking the others down.
 */
import type { Entity } from '@meridian/catalog';
import type { SampleRow, TableRows } from '@meridian/store';
import { boundedMessage } from '../parsers/record.js';
import type { ClockStatusSource } from '../stamp/clock.js';
import type { RosterQuery } from '../stamp/roster-read.js';
import type { SenderFactory } from './stamp-sender/sender-handle.js';
import type { CollectorMetrics } from '../telemetry/metrics.js';
import type { SourceErrorCounters } from './errors.js';
import type { GpuDirectory } from './gpu-directory.js';
import { PeriodicTask } from './periodic.js';

/** What sources produce: wide sample rows per entity, inventory rows and metrics outside the catalog. */
export interface SourceRows {
  gpu: SampleRow;
  host: SampleRow;
  link: SampleRow;
  inventory: TableRows['inventory'];
  extra_metrics: TableRows['extra_metrics'];
  gpu_assignments: TableRows['gpu_assignments'];
}
export type SourceTarget = keyof SourceRows;

/** Same shape as the pipeline's `push`, so `pipeline.push.bind(pipeline)` can be passed as is. */
export type Emit = <T extends SourceTarget>(target: T, rows: readonly SourceRows[T][]) => void;

export interface SourceContext {
  /** This collector's region and host name, set on every row the source builds. */
  readonly region: string;
  readonly host: string;
  readonly emit: Emit;
  readonly errors: SourceErrorCounters;
  /** Called at most once per source, with a human-readable reason. */
  readonly unavailable?: (source: string, reason: string) => void;
  readonly log?: (message: string) => void;
  /** Clock for row timestamps (epoch ms). Default Date.now. */
  readonly now?: () => number;
  /**
   * Where the pipeline offers it (the agent), a source may hold the rows it has read, stamped when
   * read, and hand them over in `drain`, which runs at the start of every flush, so they still reach the batch
   * they would have reached pushed at once. Returns the function that removes `drain`. Without it,
   * a source emits as it reads.
   */
  readonly beforeCut?: (drain: () => void) => () => void;
}

export type SourceState = 'idle' | 'running' | 'unavailable' | 'stopped';

export interface Source {
  readonly name: string;
  start(ctx: SourceContext): Promise<void>;
  stop(): Promise<void>;
  state(): SourceState;
  /** Copies counters the source keeps itself onto /metrics; called when /metrics is scraped. */
  collectMetrics?(metrics: CollectorMetrics): void;
}

/** What the agent shares between sources, handed to every factory. */
export interface SourceDeps {
  /** PCI address → GPU: the inventory source fills it, the kernel-log source reads it. */
  readonly gpus: GpuDirectory;
  /**
   * This host's clock status for STAMP's Error Estimate (chrony, per `stamp.clock`), started on
   * first use and shared by the sender and the reflector; undefined when `stamp.clock.source` is none.
   */
  stampClock(): ClockStatusSource | undefined;
  /** Reads from the store the agent writes to (the STAMP roster); absent when there is none to read. */
  readonly storeQuery?: RosterQuery;
  /** Where the STAMP sender runs (stamp-sender/sender-handle.ts); absent: in the agent's process. */
  readonly stampSenders?: SenderFactory;
}

/**
 * How a source comes to be, as the OpenTelemetry Collector's receiver factories: whether the
 * config turns it on, and how to build it from the config. Every factory is listed once, in
 * registry.ts, and the agent runs what that list builds.
 */
export interface SourceFactory<Config> {
  /** The name of the source it builds. */
  readonly name: string;
  enabled(config: Config): boolean;
  create(config: Config, deps: SourceDeps): Source;
}

export type { Entity };

/**
 * Shared plumbing: the once-only unavailable report, state, and a clock. Sources extend it rather
 * than re-implement the "report once" rule.
 */
export abstract class BaseSource implements Source {
  abstract readonly name: string;
  protected ctx: SourceContext | undefined;
  protected current: SourceState = 'idle';
  private reported = new Set<string>();

  abstract start(ctx: SourceContext): Promise<void>;
  abstract stop(): Promise<void>;

  state(): SourceState {
    return this.current;
  }

  protected now(): number {
    return (this.ctx?.now ?? Date.now)();
  }

  /** Reports (once per `part`, e.g. "ethtool" or an interface) that this host cannot serve it. */
  protected reportUnavailable(reason: string, part = ''): void {
    if (this.reported.has(part)) return;
    this.reported.add(part);
    const who = part ? `${this.name} (${part})` : this.name;
    this.ctx?.unavailable?.(who, reason);
    this.ctx?.log?.(`meridian collector: source ${who} is not available on this host: ${reason}`);
  }

  /**
   * A task this source runs on a timer. Its failures all take one path: counted as
   * `{source, field: what, reason: task_failed}` and logged with a bounded message; the source
   * goes on with its next run.
   */
  protected periodic(what: string, run: () => Promise<void>): PeriodicTask {
    return new PeriodicTask(`${this.name} ${what}`, run, (err) => {
      this.ctx?.errors.count(this.name, what, 'task_failed');
      this.log(`${what} failed: ${boundedMessage(err instanceof Error ? err.message : String(err))}`);
    });
  }

  protected log(message: string): void {
    this.ctx?.log?.(`meridian collector: ${this.name}: ${message}`);
  }
}
