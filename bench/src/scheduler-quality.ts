/**
 * bench/scheduler --quality: the rebalancer against baselines on the twin's scenarios (sim/), each
 * policy on its own twin with the same seed, compared in the same run:
 *   - none: no rebalancing after admission;
 *   - lnu: the descheduler's LowNodeUtilization lifted to regions (request-based usage, evict
 *     lowest priority first from regions above target into regions below threshold), without and
 *     with a 10-minute per-job cooldown (descheduler #626);
 *   - greedy: least-loaded, moving the smallest job from the fullest to the emptiest region;
 *   - meridian: the scheduler itself (MILP/greedy planner, all safety rules).
 * Observations are built from the twin's telemetry rows in memory (the same figures the store's
 * rollups would give, without the store), every 30 simulated seconds over a 5-minute window.
 */
import { metricByName } from '@meridian/catalog';
import {
  createScheduler,
  parseConfig,
  type Executor,
  type LinkObservation,
  type Move,
  type Observation,
  type PassReport,
  type RegionObservation,
  type WorkloadObservation,
  workloadFromRow,
} from '@meridian/scheduler';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadScenario, Twin, type TickOutput } from '@meridian/sim';

/** The Alibaba openb replay, where the shared trace is checked out beside the repository. */
function traceScenario(): string[] {
  const sc = loadScenario('trace');
  return existsSync(path.resolve(path.dirname(sc.file), sc.workloads.trace?.path ?? '')) ? ['trace'] : [];
}

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
class RowWindow {
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

export type Policy = 'none' | 'lnu' | 'lnu+cooldown' | 'greedy' | 'placement-only' | 'meridian-nosteer' | 'meridian';
const POLICIES: Policy[] = ['none', 'lnu', 'lnu+cooldown', 'greedy', 'placement-only', 'meridian-nosteer', 'meridian'];

/** --policies a,b: each name must be one of POLICIES. */
export function parsePolicies(list: string): Policy[] {
  return list.split(',').map((p) => {
    const known = POLICIES.find((q) => q === p);
    if (!known) throw new Error(`--policies: unknown policy "${p}"; give some of ${POLICIES.join(', ')}`);
    return known;
  });
}
const LOW = 0.6;
const HIGH = 0.85;

/** LowNodeUtilization lifted to regions (request-based usage, as the descheduler's default). */
function lnuMoves(obs: Observation, moved: Map<string, number>, cooldownMs: number, now: number): Move[] {
  const share = (r: RegionObservation, extra = 0) => (r.gpusAllocated + extra) / Math.max(1, r.gpusTotal);
  const under = obs.regions.filter((r) => share(r) < LOW && r.gpusTotal > 0);
  const over = obs.regions.filter((r) => share(r) > HIGH).sort((a, b) => share(b) - share(a));
  if (under.length === 0 || over.length === 0) return [];
  const room = new Map(under.map((r) => [r.region, Math.floor(HIGH * r.gpusTotal) - r.gpusAllocated]));
  const out: Move[] = [];
  for (const src of over) {
    let alloc = src.gpusAllocated;
    const ws = obs.workloads
      .filter((w) => w.region === src.region && !w.pinned)
      .sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
    for (const w of ws) {
      if (alloc / src.gpusTotal <= HIGH) break;
      if (cooldownMs > 0 && now - (moved.get(w.id) ?? -Infinity) < cooldownMs) continue;
      // The kube-scheduler would place the evicted pod; here: the emptiest underutilized region that fits.
      const dest = [...room.entries()].filter(([, r]) => r >= w.gpus).sort((a, b) => b[1] - a[1])[0];
      if (!dest) break;
      room.set(dest[0], dest[1] - w.gpus);
      alloc -= w.gpus;
      out.push({
        moveId: `lnu-${now}-${w.id}`,
        workloadId: w.id,
        from: w.region,
        to: dest[0],
        gpus: w.gpus,
        checkpointBytes: w.checkpointBytes,
        reason: 'lnu',
      });
    }
  }
  return out;
}

/** Greedy least-loaded: smallest job from the fullest region to the emptiest, while it narrows the gap. */
function greedyMoves(obs: Observation, now: number): Move[] {
  const alloc = new Map(obs.regions.map((r) => [r.region, r.gpusAllocated]));
  const total = new Map(obs.regions.map((r) => [r.region, Math.max(1, r.gpusTotal)]));
  const out: Move[] = [];
  const movedIds = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const sorted = [...alloc.entries()].sort((a, b) => a[1] / (total.get(a[0]) ?? 1) - b[1] / (total.get(b[0]) ?? 1));
    const lo = sorted[0];
    const hi = sorted[sorted.length - 1];
    if (!lo || !hi || lo[0] === hi[0]) break;
    const gap = hi[1] / (total.get(hi[0]) ?? 1) - lo[1] / (total.get(lo[0]) ?? 1);
    if (gap < 0.1) break;
    const w = obs.workloads
      .filter((x) => x.region === hi[0] && !x.pinned && !movedIds.has(x.id))
      .sort((a, b) => a.gpus - b.gpus || a.id.localeCompare(b.id))[0];
    if (!w || lo[1] + w.gpus > (total.get(lo[0]) ?? 0)) break;
    movedIds.add(w.id);
    alloc.set(hi[0], hi[1] - w.gpus);
    alloc.set(lo[0], lo[1] + w.gpus);
    out.push({
      moveId: `greedy-${now}-${w.id}`,
      workloadId: w.id,
      from: hi[0],
      to: lo[0],
      gpus: w.gpus,
      checkpointBytes: w.checkpointBytes,
      reason: 'greedy',
    });
  }
  return out;
}

interface Result {
  meanJct: number;
  p99Jct: number;
  queue: number;
  spread: number;
  sloMin: number;
  moves: number;
  flaps: number;
  wastedGpuH: number;
  bytes: number;
  completed: number;
}

async function runPolicy(scenario: string, policy: Policy, durationS: number, startMs: number): Promise<Result> {
  // A fixed start, not the wall clock: inference demand follows the regions' local time of day, so
  // with a wall-clock start the SLO minutes changed with the hour the bench was run.
  const twin = new Twin(scenario, { startMs });
  const totals = new Map<string, number>();
  const floors = new Map<string, number>();
  for (const t of twin.topologyRows()) {
    if (t.kind === 'region') totals.set(t.id, t.gpus ?? 0);
    if (t.kind === 'link' && t.region_to) {
      const floor = 2 * (t.route_km ?? 0) * 0.004897 + (t.equipment_delay_ms ?? 0);
      floors.set(`${t.region}->${t.region_to}`, floor);
      floors.set(`${t.region_to}->${t.region}`, floor);
    }
  }
  const models = new Map<string, string[]>();
  for (const i of twin.inventoryRows()) {
    const m = models.get(i.region) ?? [];
    if (i.model && !m.includes(i.model)) m.push(i.model);
    models.set(i.region, m);
  }
  const win = new RowWindow(300_000, parseConfig({}).recentSeconds * 1000, totals, floors, models);
  const log: { ts: number; id: string; from: string; to: string }[] = [];
  let wastedGpuS = 0;
  const inner = twin.executor();
  const executor: Executor = {
    name: 'twin',
    ...(inner.place ? { place: inner.place } : {}),
    execute: async (m) => {
      const o = await inner.execute(m);
      if (o.status === 'started' || o.status === 'done') {
        log.push({ ts: twin.nowMs, id: m.workloadId, from: m.from, to: m.to });
        if (o.status === 'started') wastedGpuS += (m.gpus * o.expectedDurationMs) / 1000;
      }
      return o;
    },
  };
  // placement-only: Meridian's placement weights with no move at all (movesPerPass 0), to show what
  // steering arrivals alone does; meridian-nosteer: every move, no steering.
  const meridian = policy === 'meridian' || policy === 'meridian-nosteer' || policy === 'placement-only';
  const sched = meridian
    ? await createScheduler({
        config: {
          intervalSeconds: 30,
          placement: { steer: policy !== 'meridian-nosteer' },
          ...(policy === 'placement-only' ? { limits: { movesPerPass: 0 } } : {}),
          // MERIDIAN_BENCH_CONFIG='{"migration":{"overheadGpuSeconds":7200}}': top-level keys over
          // Meridian's rows' config, for sensitivity runs (the baselines are not affected).
          ...(process.env.MERIDIAN_BENCH_CONFIG ? (JSON.parse(process.env.MERIDIAN_BENCH_CONFIG) as object) : {}),
        },
        executor,
        observe: async (now) => win.observation(now),
        clock: () => twin.nowMs,
        // MERIDIAN_BENCH_VERBOSE=1 prints each move and why, to see what drives the figures; =2 also
        // the regions' states, the moves refused, and what the twin charged each workload.
        ...(process.env.MERIDIAN_BENCH_VERBOSE
          ? {
              onPass: (r: PassReport) => {
                const t = Math.round((r.ts - twin.startMs) / 1000);
                r.executed.forEach((e) =>
                  console.log(
                    `  ${scenario} t=${t}s ${e.planned.move.workloadId} ${e.planned.move.from}→${e.planned.move.to} ${e.outcome.status}: ${e.planned.trigger}`,
                  ),
                );
                // The regions that are not plainly 'ok', and every move the plan refused and why.
                if (process.env.MERIDIAN_BENCH_VERBOSE !== '2') return;
                for (const a of sched?.state().assessment?.regions.values() ?? [])
                  if (a.status !== 'ok' || a.heating)
                    console.log(
                      `    t=${t}s ${a.region} ${a.status}${a.heating ? ' heating' : ''}: ${a.reasons.join('; ')}`,
                    );
                if (r.placement)
                  console.log(
                    `    t=${t}s placement weights ${[...r.placement.weights].map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}${r.plan?.room ? `; making room in ${r.plan.room.region} for ${r.plan.room.workloadId}` : ''}`,
                  );
                for (const j of r.plan?.rejected ?? [])
                  console.log(`    t=${t}s refused ${j.workloadId} ${j.from}→${j.to} ${j.reason}: ${j.detail}`);
              },
            }
          : {}),
      })
    : null;
  const moved = new Map<string, number>();
  const intervalS = 30;
  let spreadSum = 0;
  let spreadN = 0;
  const steps = Math.round(durationS / twin.tickS);
  let nextPass = intervalS;
  for (let i = 1; i <= steps; i++) {
    win.add(twin.step());
    const tS = i * twin.tickS;
    if (tS < nextPass) continue;
    nextPass += intervalS;
    const now = twin.nowMs;
    const obs = win.observation(now);
    // Over the regions whose GPUs report (a dark region's 0 % would be every policy's max − min).
    const shares = obs.regions
      .filter((r) => r.lastSampleTs !== null && now - r.lastSampleTs <= intervalS * 1000)
      .map((r) => r.gpusAllocated / Math.max(1, r.gpusTotal));
    spreadSum += Math.max(...shares) - Math.min(...shares);
    spreadN++;
    // VERBOSE=3: each pass's allocated shares (regions by name), to see where the spread comes from.
    if (process.env.MERIDIAN_BENCH_VERBOSE === '3')
      console.log(`    ${scenario} ${policy} t=${tS}s shares ${shares.map((x) => x.toFixed(2)).join(' ')}`);
    if (meridian) await sched?.runPass();
    else if (policy !== 'none') {
      const moves =
        policy === 'greedy'
          ? greedyMoves(obs, now)
          : lnuMoves(obs, moved, policy === 'lnu+cooldown' ? 600_000 : 0, now);
      for (const m of moves) {
        const o = await executor.execute(m);
        if (o.status !== 'failed') moved.set(m.workloadId, now);
      }
    }
  }
  // A→B→A within an hour.
  let flaps = 0;
  const byJob = new Map<string, { ts: number; from: string; to: string }[]>();
  for (const m of log) byJob.set(m.id, [...(byJob.get(m.id) ?? []), m]);
  for (const ms of byJob.values())
    for (let i = 1; i < ms.length; i++)
      if (
        (ms[i] as { to: string }).to === (ms[i - 1] as { from: string }).from &&
        (ms[i] as { ts: number }).ts - (ms[i - 1] as { ts: number }).ts < 3_600_000
      )
        flaps++;
  if (process.env.MERIDIAN_BENCH_VERBOSE === '2')
    // What the twin charged: each service's SLO seconds and where it ended, each wait in the queue.
    for (const w of twin.workloads)
      if (w.sloViolationS > 0 || w.queuedS > 0)
        console.log(
          `    ${scenario} ${policy} ${w.id} (${w.gpus} GPUs) in ${twin.regionName(w.currentRegion)}: SLO ${w.sloViolationS.toFixed(0)} s, queued ${w.queuedS.toFixed(0)} s from t=${w.arrivalS.toFixed(0)} s, moves ${w.moves}`,
        );
  const jcts = twin.workloads
    .filter((w) => w.state === 'done')
    .map((w) => w.endS - w.arrivalS)
    .sort((a, b) => a - b);
  const s = twin.stats;
  return {
    meanJct: s.completed ? s.completionS / s.completed : Number.NaN,
    p99Jct: jcts.length ? (jcts[Math.min(jcts.length - 1, Math.floor(0.99 * jcts.length))] as number) : Number.NaN,
    queue: s.started ? s.queueS / s.started : 0,
    spread: spreadN ? spreadSum / spreadN : 0,
    sloMin: s.sloViolationS / 60,
    moves: s.moves,
    flaps,
    wastedGpuH: wastedGpuS / 3600,
    bytes: s.bytesMoved,
    completed: s.completed,
  };
}

export async function quality(
  opts: { scenarios?: string[]; durationS?: number; policies?: Policy[]; startMs?: number } = {},
): Promise<void> {
  // The trace replay needs ≈3.6 simulated hours to complete jobs: ask for it with --scenarios trace.
  const scenarios = opts.scenarios ?? [
    'cooling-loss',
    'link-degradation',
    'host-failure',
    'region-failure',
    'arrival-surge',
    'diurnal-inference',
  ];
  if (scenarios.includes('trace') && traceScenario().length === 0)
    throw new Error('trace scenario: the shared trace is not checked out beside the repository');
  const durationS = opts.durationS ?? 5400;
  // Noon UTC: the European regions' demand is rising towards its 16:00-local peak.
  const startMs = opts.startMs ?? Date.UTC(2026, 11, 5, 12);
  console.log(
    `\nquality on the twin (sim/), ${durationS / 60} simulated minutes per run from ${new Date(startMs).toISOString()}; lower is better except 'completed'`,
  );
  console.log(
    'scenario          policy           | done | mean JCT s | p99 JCT s | queue s | spread | SLO min | moves | flaps | wasted GPU-h | GiB moved',
  );
  for (const sc of scenarios) {
    for (const p of opts.policies ?? POLICIES) {
      const r = await runPolicy(sc, p, durationS, startMs);
      console.log(
        `${sc.padEnd(17)} ${p.padEnd(16)} | ${String(r.completed).padStart(4)} | ${r.meanJct.toFixed(0).padStart(10)} | ${r.p99Jct.toFixed(0).padStart(9)} | ${r.queue.toFixed(1).padStart(7)} | ${r.spread.toFixed(3)} | ${r.sloMin.toFixed(1).padStart(7)} | ${String(r.moves).padStart(5)} | ${String(r.flaps).padStart(5)} | ${r.wastedGpuH.toFixed(2).padStart(12)} | ${(r.bytes / 2 ** 30).toFixed(0).padStart(9)}`,
      );
    }
  }
}
