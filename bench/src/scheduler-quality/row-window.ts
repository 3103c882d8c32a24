/**
 * The quality bench's observations, built from the twin's telemetry rows in memory: the same figures
 * the store's rollups would give, without a store, so that a run costs only the twin and the pass.
 */
import { metricByName } from '@meridian/catalog';
import {
  type LinkObservation,
  type Observation,
  type RegionObservation,
  type WorkloadObservation,
  workloadFromRow,
} from '@meridian/scheduler';
import { type TickOutput } from '@meridian/sim';

const col = (name: string): string => {
  const m = metricByName(name);
  if (!m) throw new Error(`catalog has no ${name}`);
  return m.name;
};
const UTIL = col('util_gpu');
const THROTTLED = col('throttled');
const XID = col('xid_count');
const RTT = col('rtt_avg');
const LOSS = col('loss_pct');
const JITTER = col('jitter');
const TPUT = col('throughput');
const CAP = col('capacity');

interface TickAgg {
  ts: number;
  region: Map<string, { util: number; n: number; throttled: number; xidMax: Map<string, number> }>;
  link: Map<
    string,
    { from: string; to: string; rtt: number; loss: number; jitter: number; tput: number; cap: number; n: number }
  >;
}

/** Keeps a window of per-tick aggregates and the latest state of each workload. */
export class RowWindow {
  private ticks: TickAgg[] = [];
  readonly workloads = new Map<string, WorkloadObservation & { state: string }>();
  constructor(
    private readonly windowMs: number,
    /** The freshest window, read beside the smoothed one (the scheduler's `recentSeconds`). */
    private readonly recentMs: number,
    private readonly totals: Map<string, number>,
    private readonly floors: Map<string, number>,
    private readonly models: Map<string, string[]>,
  ) {}

  add(t: TickOutput): void {
    const agg: TickAgg = { ts: t.ts, region: new Map(), link: new Map() };
    for (const r of t.gpu) {
      const region = String(r.region);
      let a = agg.region.get(region);
      if (!a) agg.region.set(region, (a = { util: 0, n: 0, throttled: 0, xidMax: new Map() }));
      a.util += Number(r[UTIL] ?? 0);
      a.throttled += Number(r[THROTTLED] ?? 0);
      a.n++;
      a.xidMax.set(String(r.gpu_uuid), Number(r[XID] ?? 0));
    }
    for (const r of t.link) {
      const key = `${String(r.region_from)}->${String(r.region_to)}`;
      let a = agg.link.get(key);
      if (!a)
        agg.link.set(
          key,
          (a = {
            from: String(r.region_from),
            to: String(r.region_to),
            rtt: 0,
            loss: 0,
            jitter: 0,
            tput: 0,
            cap: 0,
            n: 0,
          }),
        );
      a.rtt += Number(r[RTT] ?? 0);
      a.loss += Number(r[LOSS] ?? 0);
      a.jitter += Number(r[JITTER] ?? 0);
      a.tput += Number(r[TPUT] ?? 0);
      a.cap += Number(r[CAP] ?? 0);
      a.n++;
    }
    this.ticks.push(agg);
    while (this.ticks.length > 0 && (this.ticks[0] as TickAgg).ts < t.ts - this.windowMs) this.ticks.shift();
    for (const w of t.workloads) {
      if (w.state === 'done' || w.state === 'failed') {
        this.workloads.delete(w.workload_id);
        continue;
      }
      // The same mapping the store reader uses, so the bench sees what a store-read pass would.
      this.workloads.set(w.workload_id, { ...workloadFromRow({ ...w }), state: w.state });
    }
  }

  observation(now: number): Observation {
    const regions: RegionObservation[] = [];
    const running = [...this.workloads.values()].filter((w) => w.state === 'running' || w.state === 'migrating');
    for (const [name, total] of [...this.totals.entries()].sort()) {
      let util = 0;
      let thr = 0;
      let n = 0;
      let utilRecent = 0;
      let thrRecent = 0;
      let nRecent = 0;
      let last: number | null = null;
      const first = this.ticks.find((t) => t.region.has(name));
      const latest = [...this.ticks].reverse().find((t) => t.region.has(name));
      for (const t of this.ticks) {
        const a = t.region.get(name);
        if (!a) continue;
        util += a.util;
        thr += a.throttled;
        n += a.n;
        last = t.ts;
        if (t.ts > now - this.recentMs) {
          utilRecent += a.util;
          thrRecent += a.throttled;
          nRecent += a.n;
        }
      }
      let xid = 0;
      if (first && latest)
        for (const [g, v] of latest.region.get(name)?.xidMax ?? [])
          xid += v - (first.region.get(name)?.xidMax.get(g) ?? v);
      const hours = first && latest ? Math.max(1, (latest.ts - first.ts) / 1000) / 3600 : 0;
      const gpus = latest?.region.get(name)?.n ?? 0;
      regions.push({
        region: name,
        gpusTotal: total,
        gpusAllocated: running.filter((w) => w.region === name).reduce((s, w) => s + w.gpus, 0),
        utilGpu: n ? util / n : null,
        powerHeadroom: null,
        thermalHeadroomC: null,
        throttledShare: n ? thr / n : null,
        utilGpuRecent: nRecent ? utilRecent / nRecent : null,
        throttledShareRecent: nRecent ? thrRecent / nRecent : null,
        xidRate: gpus && hours ? xid / (gpus * hours) : null,
        eccRate: null,
        gpuModels: this.models.get(name) ?? [],
        gpuMemoryBytes: null,
        lastSampleTs: last,
      });
    }
    const links = new Map<string, LinkObservation & { n: number }>();
    for (const t of this.ticks) {
      for (const [k, a] of t.link) {
        const prev = links.get(k);
        const n = (prev?.n ?? 0) + a.n;
        const mix = (p: number | null | undefined, v: number) => ((p ?? 0) * (prev?.n ?? 0) + v) / n;
        links.set(k, {
          from: a.from,
          to: a.to,
          rttMs: mix(prev?.rttMs, a.rtt),
          floorMs: this.floors.get(k) ?? null,
          lossPct: mix(prev?.lossPct, a.loss),
          jitterMs: mix(prev?.jitterMs, a.jitter),
          throughputBps: mix(prev?.throughputBps, a.tput),
          capacityBps: mix(prev?.capacityBps, a.cap),
          lastSampleTs: t.ts,
          n,
        });
      }
    }
    return {
      ts: now,
      regions,
      links: [...links.values()].map(({ n: _n, ...l }) => l),
      workloads: running.filter((w) => w.state === 'running').map(({ state: _s, ...w }) => w),
      queued: [...this.workloads.values()].filter((w) => w.state === 'queued').map(({ state: _s, ...w }) => w),
    };
  }
}
