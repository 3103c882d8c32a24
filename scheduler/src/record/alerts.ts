import { cmp } from '../order.js';
/**
 * Alert state in Alertmanager's v2 push model: labels are the identity (alertname, region_from,
 * region_to, workload_class, severity), firing alerts are re-sent every pass with an endsAt a few
 * intervals ahead (so they lapse by themselves if the scheduler dies), and resolved ones are sent
 * with endsAt = now and repeated for five minutes, as docs/alerts_api.md asks of clients.
 */

export interface AlertLabels {
  readonly alertname: string;
  readonly region_from: string;
  readonly region_to: string;
  readonly workload_class: string;
  readonly severity: 'info' | 'warning' | 'critical';
}

/** One element of the JSON array POSTed to /api/v2/alerts (postableAlert). */
export interface PostableAlert {
  readonly labels: AlertLabels & Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL?: string;
}

export interface ActiveAlert {
  readonly labels: AlertLabels;
  readonly summary: string;
}

interface Tracked {
  labels: AlertLabels;
  summary: string;
  startsAt: number;
  resolvedAt: number | null;
}

const RESEND_RESOLVED_MS = 5 * 60_000;

export function alertKey(l: AlertLabels): string {
  return [l.alertname, l.region_from, l.region_to, l.workload_class, l.severity].join('\u0000');
}

export class AlertBook {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly intervalMs: number,
    private readonly generatorURL?: string,
  ) {}

  /** Updates the book with what fires now and returns what to push this pass. */
  update(active: readonly ActiveAlert[], now: number): PostableAlert[] {
    const firing = new Set<string>();
    for (const a of active) {
      const k = alertKey(a.labels);
      firing.add(k);
      const t = this.tracked.get(k);
      if (!t || t.resolvedAt !== null)
        this.tracked.set(k, { labels: a.labels, summary: a.summary, startsAt: now, resolvedAt: null });
      else t.summary = a.summary;
    }
    const out: PostableAlert[] = [];
    for (const [k, t] of [...this.tracked.entries()].sort(([a], [b]) => cmp(a, b))) {
      if (!firing.has(k) && t.resolvedAt === null) t.resolvedAt = now;
      if (t.resolvedAt !== null && now - t.resolvedAt > RESEND_RESOLVED_MS) {
        this.tracked.delete(k);
        continue;
      }
      const endsAt = t.resolvedAt ?? now + 3 * this.intervalMs;
      out.push({
        labels: { ...t.labels },
        annotations: { summary: t.summary },
        startsAt: new Date(t.startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        ...(this.generatorURL ? { generatorURL: this.generatorURL } : {}),
      });
    }
    return out;
  }

  /** Alerts firing now (for the API and the live view). */
  firing(): { labels: AlertLabels; summary: string; startsAt: string }[] {
    return [...this.tracked.values()]
      .filter((t) => t.resolvedAt === null)
      .map((t) => ({ labels: t.labels, summary: t.summary, startsAt: new Date(t.startsAt).toISOString() }));
  }
}
