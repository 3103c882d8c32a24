/**
 * pod_workloads rows (store migration 0011): for each GPU pod the observer sees, the workload its
 * owner chain leads to. The collector's PodResources reading names only the pod; readers of
 * gpu_assignments join through these rows to the workload the observer's `workloads` rows name.
 *
 * A pod's row is written when the observer first sees it (open, `ts_end` = OPEN_END), again if its
 * workload changes (an adopted pod), and closed with the time it was last seen when it is gone. Open
 * rows an earlier run left for pods that no longer exist are closed at the first complete pass.
 */
import { OPEN_END_MS, type PodWorkloadRow, type Store } from '@meridian/store';
import type { PodOwner } from './group.js';

/** What is kept per open pod: only what a changed or closing row needs (10,000s of pods). */
interface Open {
  readonly ts: number;
  readonly cluster: string;
  readonly kind: string;
  readonly workload_id: string;
}

const key = (region: string, namespace: string, pod: string) => `${region}\u0000${namespace}\u0000${pod}`;

export class PodWorkloadRows {
  /** region\0namespace\0pod → the open row last written. */
  private readonly open = new Map<string, Open>();
  private loaded = false;

  constructor(
    private readonly source: string,
    private readonly store: Pick<Store, 'insert' | 'query'>,
  ) {}

  /**
   * Writes what changed since the last call. `clusters`: the pods of each cluster that has listed;
   * `complete`: every cluster has, so an open pod absent from them all is gone.
   */
  async write(
    clusters: readonly { region: string; cluster: string; pods: readonly PodOwner[] }[],
    complete: boolean,
    now: number,
  ): Promise<PodWorkloadRow[]> {
    if (!this.loaded) await this.loadOpen();
    const out: PodWorkloadRow[] = [];
    // Applied to `open` only once the rows are stored: a failed write is retried whole next time.
    const next = new Map<string, Open | undefined>();
    const seen = new Set<string>();
    const listed = new Set(clusters.map((c) => c.region));
    for (const c of clusters)
      for (const p of c.pods) {
        const k = key(c.region, p.namespace, p.pod);
        seen.add(k);
        const last = this.open.get(k);
        // A pod without a creation time (never from a real API server) starts when first seen.
        const ts = p.created > 0 ? p.created : (last?.ts ?? now);
        if (last && last.ts === ts && last.workload_id === p.workload_id && last.kind === p.kind) continue;
        if (last && last.ts !== ts) out.push(this.row(c.region, p.namespace, p.pod, last, now, now)); // name reused
        const open: Open = { ts, cluster: c.cluster, kind: p.kind, workload_id: p.workload_id };
        next.set(k, open);
        out.push(this.row(c.region, p.namespace, p.pod, open, OPEN_END_MS, now));
      }
    for (const [k, last] of this.open) {
      if (seen.has(k)) continue;
      const [region = '', namespace = '', pod = ''] = k.split('\u0000');
      // A cluster not listed yet may still have the pod; a region no cluster serves any more may not.
      if (!complete && !listed.has(region)) continue;
      out.push(this.row(region, namespace, pod, last, now, now));
      next.set(k, undefined);
    }
    if (out.length > 0) await this.store.insert('pod_workloads', out);
    for (const [k, o] of next) {
      if (o) this.open.set(k, o);
      else this.open.delete(k);
    }
    return out;
  }

  private row(region: string, namespace: string, pod: string, o: Open, tsEnd: number, now: number): PodWorkloadRow {
    return {
      ts: o.ts,
      ts_end: tsEnd,
      updated: now,
      source: this.source,
      region,
      cluster: o.cluster,
      namespace,
      pod,
      kind: o.kind,
      workload_id: o.workload_id,
    };
  }

  /** Open rows of this source in the store (an earlier run's): closed below if their pod is gone. */
  private async loadOpen(): Promise<void> {
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT region, namespace, pod, toUnixTimestamp64Milli(ts) AS ts, cluster, kind, workload_id
       FROM pod_workloads FINAL WHERE pod_workloads.source = {source:String} AND pod_workloads.ts_end >= toDateTime64('2100-01-01 00:00:00', 3, 'UTC')`,
      { source: this.source },
    );
    for (const r of rows)
      this.open.set(key(String(r.region), String(r.namespace), String(r.pod)), {
        ts: Number(r.ts),
        cluster: String(r.cluster),
        kind: String(r.kind),
        workload_id: String(r.workload_id),
      });
    this.loaded = true;
  }
}
