/**
 * bench/scheduler --quality: the rebalancer against baselines on the twin's scenarios (sim/), each
 * policy on its own twin, over several seeds (every policy sees the same seeds, so the same arrivals
 * at the same instants), compared in the same run:
 *   - none: no rebalancing after admission;
 *   - lnu: the descheduler's LowNodeUtilization lifted to regions (request-based usage, evict
 *     lowest priority first from regions above target into regions below threshold), without and
 *     with a 10-minute per-job cooldown (descheduler #626);
 *   - greedy: least-loaded, moving the smallest job from the fullest to the emptiest region;
 *   - meridian: the scheduler itself (MILP/greedy planner, all safety rules).
 * Observations are built from the twin's telemetry rows in memory (the same figures the store's
 * rollups would give, without the store), every 30 simulated seconds over a 5-minute window.
 */
import { metricByName, fiberRttFloorMs } from '@meridian/catalog';
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

export interface Result {
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

async function runPolicy(
  scenario: string,
  policy: Policy,
  durationS: number,
  startMs: number,
  seed: number,
): Promise<Result> {
  // A fixed start, not the wall clock: inference demand follows the regions' local time of day, so
  // with a wall-clock start the SLO minutes changed with the hour the bench was run.
  const twin = new Twin(scenario, { startMs, seed });
  const totals = new Map<string, number>();
  const floors = new Map<string, number>();
  for (const t of twin.topologyRows()) {
    if (t.kind === 'region') totals.set(t.id, t.gpus ?? 0);
    if (t.kind === 'link' && t.region_to) {
      const floor = fiberRttFloorMs(t.route_km ?? 0, t.equipment_delay_ms ?? 0);
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

const SCENARIOS = [
  'cooling-loss',
  'link-degradation',
  'host-failure',
  'region-failure',
  'arrival-surge',
  'diurnal-inference',
];

/**
 * The seeds a scenario runs on: its own seed (42 for the default's family) and the next n − 1. One
 * seed is one sample path: a rule change moved a scenario's figures by a few moves and points of
 * spread in either direction, so a claim needs several.
 */
export function seedsFor(scenario: string, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--seeds: ${n} is not a positive integer; give e.g. --seeds 5`);
  const base = loadScenario(scenario).seed;
  return Array.from({ length: n }, (_, k) => base + k);
}

export interface QualityCase {
  scenario: string;
  seed: number;
  policy: Policy;
  result: Result;
}

/** Every scenario × seed × policy, in that order; each run is its own twin (no state shared). */
export async function qualityRuns(opts: {
  scenarios: string[];
  policies: Policy[];
  seeds: number;
  durationS: number;
  startMs: number;
  onRun?: (c: QualityCase) => void;
}): Promise<QualityCase[]> {
  const out: QualityCase[] = [];
  for (const scenario of opts.scenarios)
    for (const seed of seedsFor(scenario, opts.seeds))
      for (const policy of opts.policies) {
        const c = {
          scenario,
          seed,
          policy,
          result: await runPolicy(scenario, policy, opts.durationS, opts.startMs, seed),
        };
        opts.onRun?.(c);
        out.push(c);
      }
  return out;
}

/**
 * The metrics compared, with the precision they are printed at (ties are equal at that precision)
 * and which baselines Meridian is compared with: outcomes against all four, the costs of moving
 * against the three that move ("none" moves nothing, so it wins those by definition).
 */
const BASELINES: readonly Policy[] = ['none', 'lnu', 'lnu+cooldown', 'greedy'];
/** The baselines that move work: the costs of moving are compared with these. */
const MOVERS: readonly Policy[] = BASELINES.filter((p) => p !== 'none');

const METRICS: {
  key: keyof Result;
  label: string;
  digits: number;
  higherIsBetter?: boolean;
  versus: readonly Policy[];
  scale?: number;
}[] = [
  { key: 'completed', label: 'done', digits: 0, higherIsBetter: true, versus: BASELINES },
  { key: 'meanJct', label: 'mean JCT', digits: 0, versus: BASELINES },
  { key: 'p99Jct', label: 'p99 JCT', digits: 0, versus: BASELINES },
  { key: 'queue', label: 'queue', digits: 1, versus: BASELINES },
  { key: 'spread', label: 'spread', digits: 3, versus: BASELINES },
  { key: 'sloMin', label: 'SLO min', digits: 1, versus: BASELINES },
  { key: 'moves', label: 'moves', digits: 0, versus: MOVERS },
  { key: 'flaps', label: 'flaps', digits: 0, versus: MOVERS },
  { key: 'wastedGpuH', label: 'wasted GPU-h', digits: 2, versus: MOVERS },
  { key: 'bytes', label: 'GiB moved', digits: 0, versus: MOVERS, scale: 2 ** -30 },
];

const value = (r: Result, m: (typeof METRICS)[number]): number => Number((r[m.key] * (m.scale ?? 1)).toFixed(m.digits));

/** The runs grouped by case (scenario × seed), in the order they ran. */
function byCase(cases: QualityCase[]): QualityCase[][] {
  const out = new Map<string, QualityCase[]>();
  for (const c of cases) {
    const key = `${c.scenario}\u0000${c.seed}`;
    out.set(key, [...(out.get(key) ?? []), c]);
  }
  return [...out.values()];
}

/** Per metric, the cases (scenario × seed) in which Meridian is best or tied-best against its baselines. */
export function wins(cases: QualityCase[]): Map<string, Map<string, { wins: number; cases: number }>> {
  const out = new Map<string, Map<string, { wins: number; cases: number }>>();
  for (const group of byCase(cases)) {
    const scenario = (group[0] as QualityCase).scenario;
    const mine = group.find((c) => c.policy === 'meridian');
    if (!mine) continue;
    const row = out.get(scenario) ?? new Map<string, { wins: number; cases: number }>();
    for (const m of METRICS) {
      const others = group.filter((c) => m.versus.includes(c.policy));
      if (others.length === 0) continue;
      // Only scenarios with a baseline to compare against get a row (--policies meridian has none).
      out.set(scenario, row);
      const v = value(mine.result, m);
      const best = others.every((o) => (m.higherIsBetter ? v >= value(o.result, m) : v <= value(o.result, m)));
      const w = row.get(m.label) ?? { wins: 0, cases: 0 };
      row.set(m.label, { wins: w.wins + (best ? 1 : 0), cases: w.cases + 1 });
    }
  }
  return out;
}

/**
 * Pareto dominance at the printed precision: a dominates b when it is at least as good on every
 * metric and better on at least one. The costs of moving count for every policy here, "none"
 * included, so "none" dominates a run only where doing nothing was at least as good on every
 * outcome: where that run's moves bought nothing.
 */
export function dominates(a: Result, b: Result): boolean {
  let better = false;
  for (const m of METRICS) {
    const gain = (m.higherIsBetter ? 1 : -1) * (value(a, m) - value(b, m));
    if (gain < 0) return false;
    if (gain > 0) better = true;
  }
  return better;
}

export interface Dominance {
  /** Cases in which Meridian dominates the baseline. */
  over: number;
  /** Cases in which the baseline dominates Meridian. */
  under: number;
  cases: number;
}

/**
 * Per scenario and baseline, the cases in which one dominates the other. Where the metrics pull
 * against each other (spread against moves, spreading against room for a large gang), no policy
 * can be best on all of them in every case; a baseline that dominates Meridian would show a case
 * where Meridian's choice was simply worse.
 */
export function dominance(cases: QualityCase[]): Map<string, Map<Policy, Dominance>> {
  const out = new Map<string, Map<Policy, Dominance>>();
  for (const group of byCase(cases)) {
    const scenario = (group[0] as QualityCase).scenario;
    const mine = group.find((c) => c.policy === 'meridian');
    if (!mine) continue;
    for (const other of group) {
      if (!BASELINES.includes(other.policy)) continue;
      const row = out.get(scenario) ?? new Map<Policy, Dominance>();
      out.set(scenario, row);
      const d = row.get(other.policy) ?? { over: 0, under: 0, cases: 0 };
      row.set(other.policy, {
        over: d.over + (dominates(mine.result, other.result) ? 1 : 0),
        under: d.under + (dominates(other.result, mine.result) ? 1 : 0),
        cases: d.cases + 1,
      });
    }
  }
  return out;
}

function dominanceTable(d: Map<string, Map<Policy, Dominance>>): string[] {
  const lines = [
    '',
    'Pareto dominance, cases of scenario × seed, "Meridian dominates / is dominated by" each baseline (at least as good on every metric above, moves and their costs included, and better on one):',
    '',
    `| scenario | ${BASELINES.join(' | ')} |`,
    `| --- | ${BASELINES.map(() => '---').join(' | ')} |`,
  ];
  const total = new Map<Policy, Dominance>();
  const cell = (x: Dominance | undefined) => (x ? `${x.over} / ${x.under} of ${x.cases}` : '-');
  for (const [sc, row] of d) {
    for (const [p, x] of row) {
      const t = total.get(p) ?? { over: 0, under: 0, cases: 0 };
      total.set(p, { over: t.over + x.over, under: t.under + x.under, cases: t.cases + x.cases });
    }
    lines.push(`| ${sc} | ${BASELINES.map((p) => cell(row.get(p))).join(' | ')} |`);
  }
  lines.push(`| **all** | ${BASELINES.map((p) => cell(total.get(p))).join(' | ')} |`);
  return lines;
}

function fmt(xs: number[], digits: number, range: boolean): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (!range || xs.length < 2) return mean.toFixed(digits);
  return `${mean.toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

/** The table: per scenario and policy the mean over seeds, with min–max for the key metrics. */
export function qualityTable(cases: QualityCase[]): string[] {
  const lines = [
    '| scenario | policy | done | mean JCT s | p99 JCT s | queue s | spread | SLO min | moves | flaps | wasted GPU-h | GiB moved |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  for (const sc of scenarios) {
    const policies = [...new Set(cases.filter((c) => c.scenario === sc).map((c) => c.policy))];
    policies.forEach((p, i) => {
      const rs = cases.filter((c) => c.scenario === sc && c.policy === p).map((c) => c.result);
      const col = (k: keyof Result, digits: number, range = false, scale = 1) =>
        fmt(
          rs.map((r) => r[k] * scale),
          digits,
          range,
        );
      lines.push(
        `| ${i === 0 ? sc : ''} | ${p === 'meridian' ? '**meridian**' : p} | ${col('completed', 1)} | ${col('meanJct', 0)} | ${col('p99Jct', 0)} | ${col('queue', 1, true)} | ${col('spread', 3, true)} | ${col('sloMin', 1, true)} | ${col('moves', 1, true)} | ${col('flaps', 1)} | ${col('wastedGpuH', 2)} | ${col('bytes', 0, false, 2 ** -30)} |`,
      );
    });
  }
  const w = wins(cases);
  if (w.size > 0) {
    lines.push(
      '',
      'Meridian best or tied-best (at the printed precision), cases of scenario × seed; outcomes against none/lnu/lnu+cooldown/greedy, moves, flaps, wasted GPU-h and GiB against the three that move:',
      '',
      `| scenario | ${METRICS.map((m) => m.label).join(' | ')} |`,
      `| --- | ${METRICS.map(() => '---').join(' | ')} |`,
    );
    const total = new Map<string, { wins: number; cases: number }>();
    for (const [sc, row] of w) {
      lines.push(
        `| ${sc} | ${METRICS.map((m) => {
          const x = row.get(m.label);
          const t = total.get(m.label) ?? { wins: 0, cases: 0 };
          if (x) total.set(m.label, { wins: t.wins + x.wins, cases: t.cases + x.cases });
          return x ? `${x.wins}/${x.cases}` : '-';
        }).join(' | ')} |`,
      );
    }
    lines.push(
      `| **all** | ${METRICS.map((m) => {
        const x = total.get(m.label);
        return x ? `${x.wins}/${x.cases}` : '-';
      }).join(' | ')} |`,
    );
  }
  const d = dominance(cases);
  if (d.size > 0) lines.push(...dominanceTable(d));
  return lines;
}

export async function quality(
  opts: {
    scenarios?: string[];
    durationS?: number;
    policies?: Policy[];
    startMs?: number;
    seeds?: number;
    perSeed?: boolean;
  } = {},
): Promise<void> {
  // The trace replay needs ≈3.6 simulated hours to complete jobs: ask for it with --scenarios trace.
  const scenarios = opts.scenarios ?? SCENARIOS;
  if (scenarios.includes('trace') && traceScenario().length === 0)
    throw new Error('trace scenario: the shared trace is not checked out beside the repository');
  const durationS = opts.durationS ?? 5400;
  const seeds = opts.seeds ?? 5;
  // Noon UTC: the European regions' demand is rising towards its 16:00-local peak.
  const startMs = opts.startMs ?? Date.UTC(2026, 11, 5, 12);
  console.log(
    `\nquality on the twin (sim/), ${durationS / 60} simulated minutes per run from ${new Date(startMs).toISOString()}, ${seeds} seed(s) per scenario (${scenarios.map((s) => `${s} ${seedsFor(s, seeds).join(',')}`).join('; ')}); lower is better except 'done'`,
  );
  if (opts.perSeed)
    console.log(
      'scenario          seed policy           | done | mean JCT s | p99 JCT s | queue s | spread | SLO min | moves | flaps | wasted GPU-h | GiB moved',
    );
  const cases = await qualityRuns({
    scenarios,
    policies: opts.policies ?? POLICIES,
    seeds,
    durationS,
    startMs,
    onRun: ({ scenario: sc, seed, policy: p, result: r }) => {
      if (opts.perSeed)
        console.log(
          `${sc.padEnd(17)} ${String(seed).padStart(4)} ${p.padEnd(16)} | ${String(r.completed).padStart(4)} | ${r.meanJct.toFixed(0).padStart(10)} | ${r.p99Jct.toFixed(0).padStart(9)} | ${r.queue.toFixed(1).padStart(7)} | ${r.spread.toFixed(3)} | ${r.sloMin.toFixed(1).padStart(7)} | ${String(r.moves).padStart(5)} | ${String(r.flaps).padStart(5)} | ${r.wastedGpuH.toFixed(2).padStart(12)} | ${(r.bytes / 2 ** 30).toFixed(0).padStart(9)}`,
        );
    },
  });
  console.log(`\nmean over seeds; queue, spread, SLO min and moves with (min–max) across seeds\n`);
  for (const l of qualityTable(cases)) console.log(l);
}
