/**
 * One quality run: one policy on its own twin for one scenario and seed. Observations are built from
 * the twin's telemetry rows in memory (row-window.ts) every 30 simulated seconds over a 5-minute
 * window; Meridian runs as the scheduler itself, the baselines as the moves of baseline-moves.ts,
 * all through the same recording executor so that moves, flaps and wasted GPU time are counted alike.
 */
import { fiberRttFloorMs } from '@meridian/catalog';
import { createScheduler, parseConfig, type Executor, type PassReport, type Scheduler } from '@meridian/scheduler';
import { Twin } from '@meridian/sim';
import { greedyMoves, lnuMoves } from './baseline-moves.js';
import { type Policy } from './policies.js';
import { RowWindow } from './row-window.js';

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
  /** Work a failed region stopped that the policy resubmitted elsewhere (a failover, not a migration). */
  resubmits: number;
  /** Moves made for a degraded link (their trigger names the link): the harm a link fault caused. */
  faultMoves: number;
}

/** A move the executor started or finished, for the flap count. */
interface LoggedMove {
  ts: number;
  id: string;
  from: string;
  to: string;
}

/** The twin's executor, recording every move it took and the GPU time the migrations cost. */
interface RecordingExecutor {
  executor: Executor;
  log: readonly LoggedMove[];
  /** GPU-seconds the started migrations cost, so far. */
  wastedGpuS: () => number;
  /** Moves started for a degraded link, so far. */
  linkMoves: () => number;
}

/** What the observations need from the twin's fabric: GPUs per region, RTT floors, GPU models. */
function fabricOf(twin: Twin): {
  totals: Map<string, number>;
  floors: Map<string, number>;
  models: Map<string, string[]>;
} {
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
  return { totals, floors, models };
}

/** The twin's executor wrapped so that every policy's moves are logged and charged the same way. */
function recordingExecutor(twin: Twin): RecordingExecutor {
  const log: LoggedMove[] = [];
  let wastedGpuS = 0;
  let linkMoves = 0;
  const inner = twin.executor();
  const executor: Executor = {
    name: 'twin',
    ...(inner.place ? { place: inner.place } : {}),
    execute: async (m) => {
      const o = await inner.execute(m);
      if (o.status === 'started' || o.status === 'done') {
        log.push({ ts: twin.nowMs, id: m.workloadId, from: m.from, to: m.to });
        // The planner's trigger for a degraded link reads "link a<->b degraded …" (candidates.ts).
        if (/^link \S+ degraded/.test(m.reason)) linkMoves++;
        if (o.status === 'started') wastedGpuS += (m.gpus * o.expectedDurationMs) / 1000;
      }
      return o;
    },
  };
  return { executor, log, wastedGpuS: () => wastedGpuS, linkMoves: () => linkMoves };
}

/**
 * MERIDIAN_BENCH_VERBOSE=1 prints each move and why, to see what drives the figures; =2 also the
 * regions' states, the moves refused, and what the twin charged each workload.
 */
function printPass(scenario: string, twin: Twin, sched: Scheduler, r: PassReport): void {
  const t = Math.round((r.ts - twin.startMs) / 1000);
  r.executed.forEach((e) =>
    console.log(
      `  ${scenario} t=${t}s ${e.planned.move.workloadId} ${e.planned.move.from}→${e.planned.move.to} ${e.outcome.status}: ${e.planned.trigger}`,
    ),
  );
  // The regions that are not plainly 'ok', and every move the plan refused and why.
  if (process.env.MERIDIAN_BENCH_VERBOSE !== '2') return;
  for (const a of sched.state().assessment?.regions.values() ?? [])
    if (a.status !== 'ok' || a.heating)
      console.log(`    t=${t}s ${a.region} ${a.status}${a.heating ? ' heating' : ''}: ${a.reasons.join('; ')}`);
  if (r.placement)
    console.log(
      `    t=${t}s placement weights ${[...r.placement.weights].map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}${r.plan?.room ? `; making room in ${r.plan.room.region} for ${r.plan.room.workloadId}` : ''}`,
    );
  for (const j of r.plan?.rejected ?? [])
    console.log(`    t=${t}s refused ${j.workloadId} ${j.from}→${j.to} ${j.reason}: ${j.detail}`);
}

/** The scheduler itself for the Meridian rows, on the twin's clock, reading the in-memory window. */
async function meridianScheduler(
  scenario: string,
  policy: Policy,
  twin: Twin,
  executor: Executor,
  win: RowWindow,
): Promise<Scheduler> {
  const sched: Scheduler = await createScheduler({
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
    // The report refers to the scheduler being built: its state is read when a pass reports.
    ...(process.env.MERIDIAN_BENCH_VERBOSE ? { onPass: (r: PassReport) => printPass(scenario, twin, sched, r) } : {}),
  });
  return sched;
}

/** A→B→A within an hour. */
function countFlaps(log: readonly LoggedMove[]): number {
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
  return flaps;
}

/** VERBOSE=2: what the twin charged, each service's SLO seconds and where it ended, each wait in the queue. */
function printCharges(scenario: string, policy: Policy, twin: Twin): void {
  for (const w of twin.workloads)
    if (w.sloViolationS > 0 || w.queuedS > 0)
      console.log(
        `    ${scenario} ${policy} ${w.id} (${w.gpus} GPUs) in ${twin.regionName(w.currentRegion)}: SLO ${w.sloViolationS.toFixed(0)} s, queued ${w.queuedS.toFixed(0)} s from t=${w.arrivalS.toFixed(0)} s, moves ${w.moves}`,
      );
}

/**
 * Mean wait in the queue per start, counting the work still waiting at the end of the run (for as
 * long as it has waited) beside the waits of the work that started. Without it a policy under
 * which a dark region's work never restarts within the run showed no queueing at all, while one
 * that restarted it elsewhere showed those waits.
 */
function meanWait(twin: Twin): number {
  const s = twin.stats;
  let waitS = s.queueS;
  let n = s.started;
  for (const w of twin.workloads)
    if (w.state === 'queued') {
      waitS += Math.max(0, twin.timeS - (w.requeuedS ?? w.arrivalS));
      n++;
    }
  return n ? waitS / n : 0;
}

/** The run's figures from the twin's counters, the flap log and the mean spread over passes. */
function resultOf(twin: Twin, rec: RecordingExecutor, spread: number): Result {
  const jcts = twin.workloads
    .filter((w) => w.state === 'done')
    .map((w) => w.endS - w.arrivalS)
    .sort((a, b) => a - b);
  const s = twin.stats;
  return {
    meanJct: s.completed ? s.completionS / s.completed : Number.NaN,
    p99Jct: jcts.length ? (jcts[Math.min(jcts.length - 1, Math.floor(0.99 * jcts.length))] as number) : Number.NaN,
    queue: meanWait(twin),
    spread,
    sloMin: s.sloViolationS / 60,
    moves: s.moves,
    flaps: countFlaps(rec.log),
    wastedGpuH: rec.wastedGpuS() / 3600,
    bytes: s.bytesMoved,
    completed: s.completed,
    resubmits: s.resubmitted,
    faultMoves: rec.linkMoves(),
  };
}

export async function runPolicy(
  scenario: string,
  policy: Policy,
  durationS: number,
  startMs: number,
  seed: number,
): Promise<Result> {
  // A fixed start, not the wall clock: inference demand follows the regions' local time of day, so
  // with a wall-clock start the SLO minutes changed with the hour the bench was run.
  const twin = new Twin(scenario, { startMs, seed });
  const { totals, floors, models } = fabricOf(twin);
  const win = new RowWindow(300_000, parseConfig({}).recentSeconds * 1000, totals, floors, models);
  const rec = recordingExecutor(twin);
  const executor = rec.executor;
  // placement-only: Meridian's placement weights with no move at all (movesPerPass 0), to show what
  // steering arrivals alone does; meridian-nosteer: every move, no steering.
  const meridian = policy === 'meridian' || policy === 'meridian-nosteer' || policy === 'placement-only';
  const sched = meridian ? await meridianScheduler(scenario, policy, twin, executor, win) : null;
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
  if (process.env.MERIDIAN_BENCH_VERBOSE === '2') printCharges(scenario, policy, twin);
  return resultOf(twin, rec, spreadN ? spreadSum / spreadN : 0);
}
