/**
 * Where each pass's record goes: the store's scheduler_decisions table, Grafana annotations,
 * Alertmanager, and a generic webhook. A sink that fails is counted and logged without its secret;
 * it never fails the pass (the audit row in the store is the record of truth).
 */
import { createHmac } from 'node:crypto';
import type { DecisionRow, Store } from '@meridian/store';
import type { PostableAlert } from './alerts.js';

/** A decision row as the store's scheduler_decisions table takes it: the store's own type. */
export type DecisionRecord = DecisionRow;

export interface PassRecord {
  readonly passId: string;
  readonly ts: number;
  readonly decisions: readonly DecisionRecord[];
  /** Alerts to push this pass (firing re-sends and resolutions). */
  readonly alerts: readonly PostableAlert[];
}

export interface Sink {
  readonly name: string;
  record(pass: PassRecord): Promise<void>;
}

export class StoreSink implements Sink {
  readonly name = 'store';
  constructor(private readonly store: Store) {}
  async record(pass: PassRecord): Promise<void> {
    if (pass.decisions.length === 0) return;
    // The pass id is the dedup token: a retried write of the same pass lands once.
    await this.store.insert('scheduler_decisions', [...pass.decisions], {
      token: `decisions:${pass.passId}:${pass.decisions.length}`,
    });
  }
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new Error(`POST ${new URL(url).pathname} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
  await res.arrayBuffer();
}

/** Actions that changed (or would change, or ask to change) placement get an annotation. */
const ANNOTATED = new Set(['move']);

export class GrafanaSink implements Sink {
  readonly name = 'grafana';
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly dashboardUID: string | undefined,
    private readonly timeoutMs: number,
  ) {}
  async record(pass: PassRecord): Promise<void> {
    for (const d of pass.decisions) {
      if (!ANNOTATED.has(d.action)) continue;
      // PostAnnotationsCmd: text is required; time/timeEnd in epoch ms; tags filter org annotations.
      const body = {
        ...(this.dashboardUID ? { dashboardUID: this.dashboardUID } : {}),
        time: d.ts,
        timeEnd: d.ts,
        tags: ['meridian', 'rebalance', `region:${d.region_from}`, `region:${d.region_to}`, `job:${d.workload_id}`],
        text: `${d.workload_id}: ${d.region_from} → ${d.region_to} (${d.outcome}) — ${d.reason}`,
        data: {
          decision_id: d.decision_id,
          pass_id: d.pass_id,
          benefit: d.benefit,
          cost: d.cost,
          executor: d.executor,
        },
      };
      await post(
        new URL('/api/annotations', this.baseUrl).toString(),
        JSON.stringify(body),
        this.token ? { authorization: `Bearer ${this.token}` } : {},
        this.timeoutMs,
      );
    }
  }
}

export class AlertmanagerSink implements Sink {
  readonly name = 'alertmanager';
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}
  async record(pass: PassRecord): Promise<void> {
    if (pass.alerts.length === 0) return;
    await post(new URL('/api/v2/alerts', this.baseUrl).toString(), JSON.stringify(pass.alerts), {}, this.timeoutMs);
  }
}

/** HMAC-SHA256 of the exact body bytes, hex, in the header `x-meridian-signature: sha256=<hex>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export class WebhookSink implements Sink {
  readonly name = 'webhook';
  constructor(
    private readonly url: string,
    private readonly secret: string | undefined,
    private readonly timeoutMs: number,
  ) {}
  async record(pass: PassRecord): Promise<void> {
    if (pass.decisions.length === 0 && pass.alerts.length === 0) return;
    const body = JSON.stringify({
      type: 'meridian.scheduler.pass',
      passId: pass.passId,
      ts: pass.ts,
      decisions: pass.decisions,
      alerts: pass.alerts,
    });
    await post(
      this.url,
      body,
      this.secret ? { 'x-meridian-signature': signBody(this.secret, body) } : {},
      this.timeoutMs,
    );
  }
}
