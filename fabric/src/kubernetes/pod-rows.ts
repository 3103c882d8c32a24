/**
 * pod_workloads rows (store migration 0011): for each GPU pod the observer sees, the workload its
 * owner chain leads to. The collector's PodResources reading names only the pod; readers of
 * gpu_assignments join through these rows to the workload the observer's `workloads` rows name.
 *
 * A pod's row is written when the observer first sees it (open, `ts_end` = OPEN_END), again if its
 * workload changes (an adopted pod), and closed with the time it was last seen when it is gone or
 * finished. Open rows an earlier run left for pods that no longer exist are closed at the first
 * complete pass.
 *
 * Each flush visits every pod (10,000s): the pass marks what it sees with a generation number in the
 * open entry instead of building a set of keys, and keys entries by the mirror's own `ns/name` key,
 * so a pass that changes nothing allocates next to nothing (bench:observer's RSS budget).
 */
import { OPEN_END_MS, type PodWorkloadRow, type Store } from '@meridian/store';

interface Open {
  readonly ts: number;
  readonly cluster: string;
  readonly namespace: string;
  readonly pod: string;
  readonly kind: string;
  readonly workload_id: string;
  /** The pass that last saw the pod. */
  seen: number;
}

export interface PodSeen {
  readonly namespace: string;
  readonly name: string;
  /** Creation time (epoch ms; 0 when unknown). */
  readonly created: number;
}

export class PodWorkloadRows {
  /** region → the mirror's `ns/name` → the open row last written. */
  private readonly open = new Map<string, Map<string, Open>>();
  private loaded = false;
  private pass = 0;
  private rows: PodWorkloadRow[] = [];
  /** What `open` becomes once this pass's rows are stored (a failed write is redone next pass). */
  private changes: [string, string, Open | undefined][] = [];

  constructor(
    private readonly source: string,
    private readonly store: Pick<Store, 'insert' | 'query'>,
  ) {}

  /** Starts a pass (after the open rows an earlier run left are loaded). */
  async begin(): Promise<void> {
    if (!this.loaded) await this.loadOpen();
    this.pass++;
    this.rows = [];
    this.changes = [];
  }

  /** One GPU pod of this pass, with the workload its owner chain leads to. */
  see(region: string, cluster: string, key: string, pod: PodSeen, kind: string, workloadId: string, now: number): void {
    let byKey = this.open.get(region);
    if (!byKey) this.open.set(region, (byKey = new Map()));
    const last = byKey.get(key);
    // A pod without a creation time (never from a real API server) starts when first seen.
    const ts = pod.created > 0 ? pod.created : (last?.ts ?? now);
    if (last) last.seen = this.pass;
    if (last && last.ts === ts && last.workload_id === workloadId && last.kind === kind) return;
    if (last && last.ts !== ts) this.rows.push(this.row(region, last, now, now)); // the name was reused
    const open: Open = {
      ts,
      cluster,
      namespace: pod.namespace,
      pod: pod.name,
      kind,
      workload_id: workloadId,
      seen: this.pass,
    };
    this.changes.push([region, key, open]);
    this.rows.push(this.row(region, open, OPEN_END_MS, now));
  }

  /**
   * Ends the pass: closes the open pods not seen in a region that has listed (`listed`), or in any
   * region once every cluster has (`complete`: a region no cluster serves any more), and writes.
   */
  async end(listed: ReadonlySet<string>, complete: boolean, now: number): Promise<PodWorkloadRow[]> {
    for (const [region, byKey] of this.open) {
      if (!complete && !listed.has(region)) continue;
      for (const [key, o] of byKey)
        if (o.seen !== this.pass) {
          this.rows.push(this.row(region, o, now, now));
          this.changes.push([region, key, undefined]);
        }
    }
    const rows = this.rows;
    if (rows.length > 0) await this.store.insert('pod_workloads', rows);
    for (const [region, key, o] of this.changes) {
      const byKey = this.open.get(region);
      if (o) byKey?.set(key, o);
      else byKey?.delete(key);
    }
    this.rows = [];
    this.changes = [];
    return rows;
  }

  private row(region: string, o: Open, tsEnd: number, now: number): PodWorkloadRow {
    return {
      ts: o.ts,
      ts_end: tsEnd,
      updated: now,
      source: this.source,
      region,
      cluster: o.cluster,
      namespace: o.namespace,
      pod: o.pod,
      kind: o.kind,
      workload_id: o.workload_id,
    };
  }

  /** Open rows of this source in the store (an earlier run's): closed at the end of a pass if gone. */
  private async loadOpen(): Promise<void> {
    const rows = await this.store.query<Record<string, unknown>>(
      `SELECT region, namespace, pod, toUnixTimestamp64Milli(ts) AS ts, cluster, kind, workload_id
       FROM pod_workloads FINAL WHERE pod_workloads.source = {source:String}
         AND pod_workloads.ts_end >= toDateTime64('2100-01-01 00:00:00', 3, 'UTC')`,
      { source: this.source },
    );
    for (const r of rows) {
      const region = String(r.region);
      let byKey = this.open.get(region);
      if (!byKey) this.open.set(region, (byKey = new Map()));
      const namespace = String(r.namespace);
      const pod = String(r.pod);
      byKey.set(`${namespace}/${pod}`, {
        ts: Number(r.ts),
        cluster: String(r.cluster),
        namespace,
        pod,
        kind: String(r.kind),
        workload_id: String(r.workload_id),
        seen: 0,
      });
    }
    this.loaded = true;
  }
}
