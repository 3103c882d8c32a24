/**
 * Record: each pass's decisions and alerts go to every sink (the store's audit table, Grafana,
 * Alertmanager, a webhook), and the latest decisions are kept in memory for the API. A sink that
 * fails is counted and logged; it does not fail the pass.
 */
import type { SchedulerMetrics } from '../metrics.js';
import { AlertBook, type ActiveAlert } from './alerts.js';
import type { DecisionRecord, Sink } from './sinks.js';

const DECISIONS_KEPT = 1000;

export class Trail {
  private readonly recent: DecisionRecord[] = [];
  readonly alertBook: AlertBook;

  constructor(
    private readonly sinks: readonly Sink[],
    intervalMs: number,
    generatorURL: string | undefined,
    private readonly metrics: SchedulerMetrics,
    private readonly log: (line: string) => void,
  ) {
    this.alertBook = new AlertBook(intervalMs, generatorURL);
  }

  /** Latest decisions, newest first. */
  decisions(): DecisionRecord[] {
    return [...this.recent].reverse();
  }

  async record(passId: string, now: number, decisions: DecisionRecord[], alerts: ActiveAlert[]): Promise<void> {
    const postable = this.alertBook.update(alerts, now);
    for (const d of decisions) this.recent.push(d);
    if (this.recent.length > DECISIONS_KEPT) this.recent.splice(0, this.recent.length - DECISIONS_KEPT);
    for (const sink of this.sinks) {
      try {
        await sink.record({ passId, ts: now, decisions, alerts: postable });
      } catch (err) {
        this.metrics.sinkErrors.inc({ sink: sink.name });
        this.log(`record to ${sink.name} failed: ${(err as Error).message}`);
      }
    }
  }
}
