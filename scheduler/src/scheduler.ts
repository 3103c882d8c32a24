/**
 * The loop: observe → assess → verify → plan → act → record, once per interval, plus the manual
 * "rebalance now", the kill switch (pause/resume) and approval of pending plans. Time comes from an
 * injected clock and nothing random is used, so the same observations and config replay to the same
 * decisions.
 */
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Highs } from 'highs';
import type { Store } from '@meridian/store';
import { AlertBook, type ActiveAlert } from './record/alerts.js';
import { assess, type Assessment } from './assess/assess.js';
import { backoffMs } from './act/backoff.js';
import { parseConfig, type ConfigInput, type SchedulerConfig } from './config.js';
import type { Executor, Move, MoveOutcome } from './act/executor.js';
import { DryRunExecutor } from './act/executors.js';
import { emptyMemory, jobMemory, pairKey, pruneJobs, type SchedulerMemory } from './memory.js';
import { SchedulerMetrics, reasonLabel } from './metrics.js';
import type { Observation } from './observe/observation.js';
import { plan as makePlan } from './plan/plan.js';
import type { Plan, PlannedMove, Rejection } from './plan/types.js';
import { readObservation } from './observe/reader.js';
import { StoreSink, type DecisionRecord, type Sink } from './record/sinks.js';
import type { ApiToken, DecisionFilter, RunningApi } from './api/server.js';
import { readSecret } from './config.js';
import { loadSolver } from './plan/solve-milp.js';
import { placementWeights, type Placement } from './plan/placement.js';
import { cmp } from './order.js';

export interface SchedulerOptions {
  readonly config?: SchedulerConfig | ConfigInput;
  /** Source of observations and destination of the audit trail. */
  readonly store?: Store;
  /** Overrides reading the store (the twin, tests, replays). */
  readonly observe?: (now: number) => Promise<Observation>;
  /** Default: built from config.executor by the caller (see createExecutor), else dry-run. */
  readonly executor?: Executor;
  /** Record sinks; the store sink is added when a store is given. */
  readonly sinks?: readonly Sink[];
  readonly clock?: () => number;
  /** Set false to plan with the greedy heuristic only (no HiGHS). */
  readonly useSolver?: boolean;
  readonly log?: (line: string) => void;
  /** Called after every completed pass (the CLI's log line, the all-in-one's status view). */
  readonly onPass?: (report: PassReport) => void;
}

export interface ExecutedMove {
  readonly planned: PlannedMove;
  readonly outcome: MoveOutcome;
}

export interface PassReport {
  readonly passId: string;
  readonly ts: number;
  readonly paused: boolean;
  readonly plan: Plan | null;
  readonly executed: readonly ExecutedMove[];
  readonly decisions: readonly DecisionRecord[];
  readonly flapsPrevented: number;
  /** The weights for new work this pass and what became of them; null with `placement.steer` off or paused. */
  readonly placement: PlacementState | null;
  readonly durationMs: number;
}

/**
 * The latest placement weights (served as `GET /api/v1/placement`, for an admission controller or
 * Kueue to read) and what became of them: `set` or `unchanged` (in force), `recorded` (dry-run),
 * `not-set: …` (approval required, or an executor that cannot place), `failed: …`.
 */
export interface PlacementState extends Placement {
  readonly passId: string;
  readonly ts: number;
  readonly outcome: string;
  readonly executor: string;
  /** A region making room for a queued gang: it takes no new work meanwhile. */
  readonly hold: string | null;
}

export interface PendingPlan {
  readonly plan: Plan;
  readonly createdTs: number;
  readonly expiresTs: number;
}

export interface SchedulerState {
  readonly observation: Observation | null;
  readonly assessment: Assessment | null;
  readonly paused: boolean;
  readonly lastPassTs: number | null;
  readonly lastPassMs: number | null;
  readonly lastError: string | null;
  readonly inFlight: readonly Move[];
}

const DECISIONS_KEPT = 1000;

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly metrics = new SchedulerMetrics();
  readonly memory: SchedulerMemory = emptyMemory();
  readonly executor: Executor;
  private readonly sinks: Sink[];
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly alertBook: AlertBook;
  private readonly recent: DecisionRecord[] = [];
  private highs: Highs | undefined;
  private isPaused = false;
  private pending: PendingPlan | null = null;
  private lastObs: Observation | null = null;
  private lastAsmt: Assessment | null = null;
  private lastPlan: Plan | null = null;
  private lastPassTs: number | null = null;
  private lastPassMs: number | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PassReport> | null = null;
  private stopped = false;
  private readonly apis: RunningApi[] = [];
  /** Last hold written per workload, to write repeats of the same hold only every holdRepeatSeconds. */
  private lastHolds = new Map<string, { key: string; ts: number }>();
  /** The regions that last took new work, and when that was recorded (see placeRecord). */
  private lastPlacement: { key: string; ts: number } | null = null;
  private placementNow: PlacementState | null = null;

  constructor(
    private readonly opts: SchedulerOptions,
    highs: Highs | undefined,
  ) {
    // Parsing is idempotent, so an already-parsed config goes through the same validation.
    this.config = parseConfig(opts.config ?? {});
    this.executor = opts.executor ?? new DryRunExecutor();
    this.sinks = [...(opts.store ? [new StoreSink(opts.store)] : []), ...(opts.sinks ?? [])];
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.alertBook = new AlertBook(this.config.intervalSeconds * 1000, this.config.record.alertmanager?.generatorURL);
    this.highs = highs;
  }

  /** config placement.steer (the API says whether weights are computed at all). */
  get steering(): boolean {
    return this.config.placement.steer;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Kill switch: passes keep observing (so the API stays current) but plan and act nothing. */
  pause(by = 'operator'): void {
    this.isPaused = true;
    this.metrics.paused.set(1);
    this.log(`scheduler paused by ${by}`);
  }

  resume(by = 'operator'): void {
    this.isPaused = false;
    this.metrics.paused.set(0);
    this.log(`scheduler resumed by ${by}`);
  }

  /** One pass now. Concurrent calls share the pass already running. */
  runPass(opts: { fresh?: boolean } = {}): Promise<PassReport> {
    if (this.running) return this.running;
    this.running = this.pass(opts.fresh ?? false).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Manual one-shot rebalance; `fresh` considers every unpinned workload, not only triggered ones. */
  rebalanceNow(fresh = false): Promise<PassReport> {
    return this.runPass({ fresh });
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = async () => {
      try {
        await this.runPass();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.log(`pass failed: ${this.lastError}`);
      }
      if (!this.stopped) this.timer = setTimeout(tick, this.config.intervalSeconds * 1000);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => undefined);
    for (const a of this.apis.splice(0)) await a.close();
  }

  state(): SchedulerState {
    return {
      observation: this.lastObs,
      assessment: this.lastAsmt,
      paused: this.isPaused,
      lastPassTs: this.lastPassTs,
      lastPassMs: this.lastPassMs,
      lastError: this.lastError,
      inFlight: this.memory.inFlight.map((f) => f.move),
    };
  }

  /** The plan waiting for approval, or else the latest plan. */
  currentPlan(): { plan: Plan | null; pending: PendingPlan | null } {
    return { plan: this.pending?.plan ?? this.lastPlan, pending: this.pending };
  }

  /** Latest decisions, newest first. */
  decisions(): readonly DecisionRecord[] {
    return [...this.recent].reverse();
  }

  alerts(): ReturnType<AlertBook['firing']> {
    return this.alertBook.firing();
  }

  /** Decisions for the API: from the store when there is one (the full trail), else from memory. */
  async queryDecisions(f: DecisionFilter): Promise<DecisionRecord[]> {
    const store = this.opts.store;
    if (!store) {
      return this.decisions()
        .filter(
          (d) =>
            (!f.workload || d.workload_id === f.workload) &&
            (!f.action || d.action === f.action) &&
            (!f.outcome || d.outcome === f.outcome) &&
            (!f.region || d.region_from === f.region || d.region_to === f.region) &&
            (f.since === undefined || d.ts >= f.since),
        )
        .slice(f.offset, f.offset + f.limit);
    }
    const rows = await store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ts, decision_id, pass_id, workload_id, action, region_from, region_to,
              reason, inputs, scores, limits, executor, outcome, benefit, cost
       FROM scheduler_decisions
       WHERE ({workload:String} = '' OR workload_id = {workload:String})
         AND ({action:String} = '' OR action = {action:String})
         AND ({outcome:String} = '' OR outcome = {outcome:String})
         AND ({region:String} = '' OR region_from = {region:String} OR region_to = {region:String})
         AND ts >= fromUnixTimestamp64Milli({since:Int64})
       ORDER BY ts DESC, decision_id
       LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      {
        workload: f.workload ?? '',
        action: f.action ?? '',
        outcome: f.outcome ?? '',
        region: f.region ?? '',
        since: f.since ?? 0,
        limit: f.limit,
        offset: f.offset,
      },
    );
    return rows.map((r) => ({
      ts: Number(r.ts),
      decision_id: String(r.decision_id),
      pass_id: String(r.pass_id),
      workload_id: String(r.workload_id),
      action: String(r.action),
      region_from: String(r.region_from),
      region_to: String(r.region_to),
      reason: String(r.reason),
      inputs: String(r.inputs),
      scores: String(r.scores),
      limits: Array.isArray(r.limits) ? r.limits.map(String) : [],
      executor: String(r.executor),
      outcome: String(r.outcome),
      benefit: Number(r.benefit),
      cost: Number(r.cost),
    }));
  }

  /** Starts the HTTP API; tokens default to config.api.tokens, read from env or files (never logged). */
  async startApi(opts: { host?: string; port?: number; tokens?: readonly ApiToken[] } = {}): Promise<RunningApi> {
    const tokens =
      opts.tokens ??
      this.config.api.tokens.map((t, i) => ({
        name: t.name,
        role: t.role,
        secret: readSecret(t.secret, `api.tokens.${i}.secret`),
      }));
    // fastify loads only when an API is wanted.
    const { startApi } = await import('./api/server.js');
    const api = await startApi(this, {
      host: opts.host ?? this.config.api.host,
      port: opts.port ?? this.config.api.port,
      tokens,
    });
    this.apis.push(api);
    return api;
  }

  /** Approves the pending plan: its moves go to the executor now. */
  async approve(passId: string, by: string): Promise<{ executed: readonly ExecutedMove[] }> {
    const p = this.takePending(passId);
    const now = this.clock();
    const executed = await this.act(p.plan.moves, now);
    const decisions = executed.map((e) =>
      this.moveRecord(p.plan, e.planned, outcomeText(e.outcome), now, `approved by ${by}`),
    );
    await this.record(p.plan.passId + '-approve', now, decisions, []);
    return { executed };
  }

  async reject(passId: string, by: string): Promise<void> {
    const p = this.takePending(passId);
    const now = this.clock();
    const decisions = p.plan.moves.map((m) =>
      this.moveRecord(p.plan, m, 'rejected-by-operator', now, `rejected by ${by}`),
    );
    await this.record(p.plan.passId + '-reject', now, decisions, []);
  }

  private takePending(passId: string): PendingPlan {
    const p = this.pending;
    if (!p || p.plan.passId !== passId) throw new PlanNotPendingError(passId);
    this.pending = null;
    if (this.clock() > p.expiresTs) throw new PlanNotPendingError(passId, 'expired');
    return p;
  }

  private async pass(fresh: boolean): Promise<PassReport> {
    const t0 = performance.now();
    const now = this.clock();
    const tracer = trace.getTracer('@meridian/scheduler');
    const root = tracer.startSpan('scheduler.pass', { attributes: { 'meridian.pass.fresh': fresh } });
    const ctx = trace.setSpan(context.active(), root);
    const phase = async <T>(name: string, fn: (span: Span) => Promise<T> | T): Promise<T> => {
      const span = tracer.startSpan(`scheduler.${name}`, undefined, ctx);
      const p0 = performance.now();
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
        this.metrics.phaseDuration.observe({ phase: name }, (performance.now() - p0) / 1000);
      }
    };

    try {
      const obs = await phase('observe', async (span) => {
        const o = await this.observe(now);
        span.setAttributes({
          'meridian.regions': o.regions.length,
          'meridian.workloads': o.workloads.length,
          'meridian.links': o.links.length,
        });
        return o;
      });
      const asmt = await phase('assess', () => assess(obs, this.config, this.memory));
      this.lastObs = obs;
      this.lastAsmt = asmt;
      const verified = await phase('verify', () => this.verify(obs, asmt, now));

      let planned: Plan | null = null;
      let flaps = 0;
      let executed: ExecutedMove[] = [];
      let placement: PlacementState | null = null;
      const decisions: DecisionRecord[] = [...verified];
      if (!this.isPaused) {
        const result = await phase('plan', (span) => {
          const r = makePlan(obs, asmt, this.config, this.memory, {
            fresh,
            ...(this.highs ? { highs: this.highs } : {}),
          });
          span.setAttributes({
            'meridian.solver': r.plan.solver.method,
            'meridian.moves': r.plan.moves.length,
            'meridian.rejected': r.plan.rejected.length,
          });
          return r;
        });
        planned = result.plan;
        flaps = result.flapsPrevented;
        this.metrics.flapsPrevented.inc(flaps);
        for (const r of planned.rejected) this.metrics.rejected.inc({ limit: r.reason });

        if (this.config.requireApproval) {
          if (planned.moves.length > 0) {
            this.pending = { plan: planned, createdTs: now, expiresTs: now + this.config.approvalTtlSeconds * 1000 };
          } else if (this.pending && now > this.pending.expiresTs) {
            this.pending = null;
          }
          for (const m of planned.moves) decisions.push(this.moveRecord(planned, m, 'pending-approval', now));
        } else {
          const movesToRun = planned.moves;
          executed = await phase('act', async (span) => {
            const ex = await this.act(movesToRun, now);
            span.setAttribute('meridian.executed', ex.length);
            return ex;
          });
          for (const e of executed) decisions.push(this.moveRecord(planned, e.planned, outcomeText(e.outcome), now));
        }
        // After acting, so the weights count this pass's moves where they are going.
        const thisPlan = planned;
        // Nothing observed (an empty store): no weights, rather than "no region can take work".
        if (this.config.placement.steer && asmt.regions.size > 0)
          placement = await phase('place', () => this.steer(thisPlan, obs, asmt, now));
        const rec = placement && this.placeRecord(planned, placement, now);
        if (rec) decisions.push(rec);
        const repeatMs = this.config.record.holdRepeatSeconds * 1000;
        const seen = new Map<string, { key: string; ts: number }>();
        for (const r of planned.rejected) {
          const key = `${r.reason}|${r.to}`;
          const prev = this.lastHolds.get(r.workloadId);
          // Same hold as before and recently written: counted in metrics, not written again.
          const repeat = prev !== undefined && prev.key === key && now - prev.ts < repeatMs;
          seen.set(r.workloadId, repeat && prev ? prev : { key, ts: now });
          if (!repeat) decisions.push(this.rejectRecord(planned, r, now));
        }
        this.lastHolds = seen;
        this.lastPlan = planned;
      }

      pruneJobs(this.memory, now, Math.max(this.config.cooldownSeconds, this.config.flapWindowSeconds) * 1000);
      const alerts = this.activeAlerts(asmt, planned);
      await phase('record', async (span) => {
        span.setAttribute('meridian.decisions', decisions.length);
        await this.record(`pass-${now}`, now, decisions, alerts);
      });

      this.lastPassTs = now;
      this.lastError = null;
      const durationMs = performance.now() - t0;
      this.lastPassMs = durationMs;
      this.metrics.loopDuration.observe(durationMs / 1000);
      this.metrics.passes.inc({ result: this.isPaused ? 'paused' : 'ok' });
      this.metrics.inFlight.set(this.memory.inFlight.length);
      root.setAttributes({ 'meridian.pass.id': `pass-${now}`, 'meridian.pass.decisions': decisions.length });
      const report: PassReport = {
        passId: `pass-${now}`,
        ts: now,
        paused: this.isPaused,
        plan: planned,
        executed,
        decisions,
        flapsPrevented: flaps,
        placement,
        durationMs,
      };
      this.opts.onPass?.(report);
      return report;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.metrics.passes.inc({ result: 'error' });
      root.recordException(err as Error);
      root.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      root.end();
    }
  }

  private async observe(now: number): Promise<Observation> {
    if (this.opts.observe) return this.opts.observe(now);
    if (!this.opts.store) throw new Error('scheduler has neither a store nor an observe function');
    return readObservation(this.opts.store, now, {
      windowSeconds: this.config.windowSeconds,
      recentSeconds: this.config.recentSeconds,
      ...(this.config.store.source ? { source: this.config.store.source } : {}),
    });
  }

  /** The latest placement weights and what became of them (null before the first steered pass). */
  placement(): PlacementState | null {
    return this.placementNow;
  }

  /**
   * Placement steering (config `placement.steer`): weights for new work, counting this pass's moves,
   * handed to an executor that can place, unless every plan waits for approval: a person approves
   * what changes in the cluster, so the weights are then only recorded and served on the API. A
   * failure to set them is logged and does not fail the pass: arrivals then go where the platform
   * puts them, as without steering.
   */
  private async steer(plan: Plan, obs: Observation, asmt: Assessment, now: number): Promise<PlacementState> {
    const hold = plan.room?.region;
    const p = placementWeights(obs, asmt, this.config, this.memory, hold);
    const place = this.executor.place?.bind(this.executor);
    let outcome: string;
    if (this.config.requireApproval) outcome = 'not-set: approval required (weights recorded only)';
    else if (!place) outcome = `not-set: executor ${this.executor.name} cannot place`;
    else {
      try {
        outcome = (await place(p.weights)) ?? 'set';
      } catch (err) {
        outcome = `failed: ${(err as Error).message}`;
        this.log(`placement weights not set (${this.executor.name}): ${(err as Error).message}`);
      }
    }
    this.placementNow = {
      ...p,
      passId: plan.passId,
      ts: now,
      outcome,
      executor: this.executor.name,
      hold: hold ?? null,
    };
    return this.placementNow;
  }

  /** Hands moves to the executor; updates cooldown, flap memory, backoff and in-flight tracking. */
  private async act(moves: readonly PlannedMove[], now: number): Promise<ExecutedMove[]> {
    const out: ExecutedMove[] = [];
    for (const pm of moves) {
      let outcome: MoveOutcome;
      try {
        outcome = await this.executor.execute(pm.move);
      } catch (err) {
        outcome = { status: 'failed', error: (err as Error).message };
      }
      const job = jobMemory(this.memory, pm.move.workloadId);
      if (outcome.status === 'started' || outcome.status === 'done') {
        job.moves.push({ ts: now, from: pm.move.from, to: pm.move.to });
        this.memory.recentMoves.push(now);
        const dest = this.lastAsmt?.regions.get(pm.move.to);
        this.memory.inFlight.push({
          move: pm.move,
          decisionId: `${pm.move.moveId}/move`,
          startedTs: now,
          destAllocatedBefore: dest?.gpusAllocated ?? 0,
          expectedDurationMs: outcome.status === 'started' ? outcome.expectedDurationMs : 0,
        });
      } else if (outcome.status === 'failed') {
        this.fail(pm.move.workloadId, now);
      }
      this.metrics.moves.inc({ reason: reasonLabel(pm.trigger), outcome: outcome.status });
      out.push({ planned: pm, outcome });
    }
    const hourAgo = now - 3_600_000;
    this.memory.recentMoves = this.memory.recentMoves.filter((t) => t > hourAgo);
    return out;
  }

  private fail(workloadId: string, now: number): void {
    const job = jobMemory(this.memory, workloadId);
    job.failures++;
    job.notBefore =
      job.failures >= this.config.backoff.maxAttempts
        ? Number.MAX_SAFE_INTEGER // parked: an operator's fresh rebalance or a restart clears it
        : now + backoffMs(this.config.backoff, job.failures, workloadId);
  }

  /** Compares each move in flight with what is observed now. */
  private verify(obs: Observation, asmt: Assessment, now: number): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    const byId = new Map(obs.workloads.map((w) => [w.id, w]));
    const keep = [];
    for (const f of this.memory.inFlight) {
      const w = byId.get(f.move.workloadId);
      const dest = asmt.regions.get(f.move.to);
      const partial = f.move.replicas !== undefined;
      const arrived = partial
        ? (dest?.gpusAllocated ?? 0) >= f.destAllocatedBefore + f.move.gpus
        : w?.region === f.move.to;
      const deadline = f.startedTs + f.expectedDurationMs + this.config.verify.timeoutSeconds * 1000;
      let outcome: string | null = null;
      if (arrived) {
        // Unhelpful: the destination went hot or unhealthy because of what it received.
        outcome = dest && (dest.status === 'hot' || dest.status === 'unhealthy') ? 'unhelpful' : 'verified';
      } else if (now > deadline) outcome = 'failed';
      if (outcome === null) {
        keep.push(f);
        continue;
      }
      const job = jobMemory(this.memory, f.move.workloadId);
      if (outcome === 'verified') {
        job.failures = 0;
        job.notBefore = 0;
      } else this.fail(f.move.workloadId, now);
      out.push({
        ts: now,
        decision_id: `${f.move.moveId}/verify`,
        pass_id: `pass-${now}`,
        workload_id: f.move.workloadId,
        action: 'verify',
        region_from: f.move.from,
        region_to: f.move.to,
        reason:
          outcome === 'failed'
            ? `not at ${f.move.to} ${Math.round((now - f.startedTs) / 1000)} s after the move`
            : `observed at ${f.move.to}`,
        inputs: JSON.stringify({
          expected: { region: f.move.to, destAllocatedAtLeast: f.destAllocatedBefore + f.move.gpus },
          observed: {
            region: w?.region ?? null,
            destAllocated: dest?.gpusAllocated ?? null,
            destStatus: dest?.status ?? null,
          },
        }),
        scores: JSON.stringify({ failures: job.failures, notBefore: job.notBefore }),
        limits: [],
        executor: this.executor.name,
        outcome,
        benefit: 0,
        cost: 0,
      });
    }
    this.memory.inFlight = keep;
    return out;
  }

  private inputs(_p: Plan, from: string, to: string, workloadId: string): string {
    const a = this.lastAsmt;
    const pick = (r: string) => {
      const x = a?.regions.get(r);
      return x
        ? {
            status: x.status,
            load: round(x.load),
            goodness: round(x.goodness),
            allocated: x.gpusAllocated,
            total: x.gpusTotal,
            reasons: x.reasons,
          }
        : null;
    };
    const link = a && to ? a.links.get(pairKey(from, to)) : undefined;
    const w = this.lastObs?.workloads.find((x) => x.id === workloadId);
    return JSON.stringify({
      from: pick(from),
      to: to ? pick(to) : null,
      link: link
        ? {
            degraded: link.degraded,
            rttMs: link.rttMs,
            badness: link.badness === null ? null : round(link.badness),
            spareBps: link.spareBps,
          }
        : null,
      workload: w
        ? {
            gpus: w.gpus,
            commClass: w.commClass,
            priority: w.priority,
            pinned: w.pinned,
            checkpointBytes: w.checkpointBytes,
          }
        : null,
    });
  }

  private moveRecord(p: Plan, m: PlannedMove, outcome: string, now: number, note?: string): DecisionRecord {
    return {
      ts: now,
      decision_id: `${m.move.moveId}/move`,
      pass_id: p.passId,
      workload_id: m.move.workloadId,
      action: 'move',
      region_from: m.move.from,
      region_to: m.move.to,
      reason: note ? `${m.trigger} (${note})` : m.trigger,
      inputs: this.inputs(p, m.move.from, m.move.to, m.move.workloadId),
      scores: JSON.stringify({
        benefit: round(m.benefit),
        cost: round(m.cost),
        margin: this.config.margin,
        gpus: m.move.gpus,
        replicas: m.move.replicas ?? null,
        transferSeconds: round(m.option.transferSeconds),
        restartSeconds: m.option.restartSeconds,
        lostWorkSeconds: round(m.option.lostWorkSeconds),
        solver: p.solver.method,
      }),
      limits: [...m.limits],
      executor: this.executor.name,
      outcome,
      benefit: m.benefit,
      cost: m.cost,
    };
  }

  /**
   * The placement weights as a decision (action `place`), written when the regions that take new work
   * change, or the same set again after `record.holdRepeatSeconds`: the figures move a little every
   * pass, and a row per pass would bury the moves.
   */
  private placeRecord(p: Plan, placement: PlacementState, now: number): DecisionRecord | null {
    const ranked = [...placement.weights].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
    // A failure is written whenever it starts, and a success after it: the outcome is part of the key.
    const failed = placement.outcome.startsWith('failed') ? placement.outcome : '';
    const key = `${ranked.map(([r]) => r).join(',')}|${failed}`;
    const prev = this.lastPlacement;
    if (prev && prev.key === key && now - prev.ts < this.config.record.holdRepeatSeconds * 1000) return null;
    this.lastPlacement = { key, ts: now };
    const text = ranked.map(([r, w]) => `${r}=${w}`).join(' ') || 'none (no region can take work)';
    return {
      ts: now,
      decision_id: `${p.passId}:placement/place`,
      pass_id: p.passId,
      workload_id: '',
      action: 'place',
      region_from: '',
      region_to: ranked[0]?.[0] ?? '',
      reason: `weights for new work: ${text} (GPUs below the fullest healthy region's share)${p.room ? `; ${p.room.region} takes none while it makes room for ${p.room.workloadId}` : ''}`,
      inputs: JSON.stringify(
        Object.fromEntries(
          [...(this.lastAsmt?.regions.values() ?? [])].map((r) => [
            r.region,
            { status: r.status, heating: r.heating, allocated: r.gpusAllocated, total: r.gpusTotal },
          ]),
        ),
      ),
      scores: JSON.stringify(Object.fromEntries(ranked)),
      limits: [],
      executor: this.executor.name,
      outcome: placement.outcome === 'unchanged' ? 'set' : placement.outcome,
      benefit: 0,
      cost: 0,
    };
  }

  private rejectRecord(p: Plan, r: Rejection, now: number): DecisionRecord {
    return {
      ts: now,
      decision_id: `${p.passId}:${r.workloadId}/reject`,
      pass_id: p.passId,
      workload_id: r.workloadId,
      action: 'hold',
      region_from: r.from,
      region_to: r.to,
      reason: `${r.trigger}; held: ${r.detail}`,
      inputs: this.inputs(p, r.from, r.to, r.workloadId),
      scores: JSON.stringify({ benefit: round(r.benefit), cost: round(r.cost), margin: this.config.margin }),
      limits: [r.reason],
      executor: this.executor.name,
      outcome: r.reason,
      benefit: r.benefit,
      cost: r.cost,
    };
  }

  private activeAlerts(asmt: Assessment, p: Plan | null): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const r of asmt.regions.values()) {
      if (r.status === 'unknown' || r.status === 'failed') {
        out.push({
          labels: {
            alertname: r.status === 'failed' ? 'MeridianRegionFailed' : 'MeridianRegionStale',
            region_from: r.region,
            region_to: 'none',
            workload_class: 'all',
            severity: r.status === 'failed' ? 'critical' : 'warning',
          },
          summary: `${r.region}: ${r.reasons.join('; ')}`,
        });
      }
    }
    // One alert per (from, to, class) while moves between them are in flight or awaiting approval.
    const groups = new Map<string, { from: string; to: string; cls: string; n: number; evac: boolean }>();
    const add = (m: Move, evac: boolean) => {
      const cls = m.commClass ?? 'unknown';
      const k = `${m.from}|${m.to}|${cls}`;
      const g = groups.get(k) ?? { from: m.from, to: m.to, cls, n: 0, evac: false };
      g.n++;
      g.evac ||= evac;
      groups.set(k, g);
    };
    for (const f of this.memory.inFlight) add(f.move, asmt.regions.get(f.move.from)?.status === 'failed');
    if (this.pending) for (const m of this.pending.plan.moves) add(m.move, m.evacuate);
    for (const g of groups.values()) {
      out.push({
        labels: {
          alertname: 'MeridianWorkloadMigration',
          region_from: g.from,
          region_to: g.to,
          workload_class: g.cls,
          severity: g.evac ? 'critical' : 'info',
        },
        summary: `${g.n} ${g.cls} workload(s) moving ${g.from} → ${g.to}`,
      });
    }
    // Work that must move but cannot (no destination, or the source is stale).
    const blocked = new Map<string, { from: string; cls: string; n: number }>();
    for (const r of p?.rejected ?? []) {
      if (r.reason !== 'no-feasible-destination') continue;
      const k = `${r.from}|${r.commClass}`;
      const b = blocked.get(k) ?? { from: r.from, cls: r.commClass, n: 0 };
      b.n++;
      blocked.set(k, b);
    }
    for (const b of blocked.values()) {
      out.push({
        labels: {
          alertname: 'MeridianRebalanceBlocked',
          region_from: b.from,
          region_to: 'none',
          workload_class: b.cls,
          severity: 'warning',
        },
        summary: `${b.n} ${b.cls} workload(s) in ${b.from} need to move but no region can take them`,
      });
    }
    return out;
  }

  private async record(passId: string, now: number, decisions: DecisionRecord[], alerts: ActiveAlert[]): Promise<void> {
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

export class PlanNotPendingError extends Error {
  constructor(
    readonly passId: string,
    readonly why: 'not-pending' | 'expired' = 'not-pending',
  ) {
    super(why === 'expired' ? `plan ${passId} expired before approval` : `no pending plan ${passId}`);
    this.name = 'PlanNotPendingError';
  }
}

function outcomeText(o: MoveOutcome): string {
  return o.status === 'failed' ? `failed: ${o.error}` : o.status;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Builds a scheduler; loads the HiGHS runtime unless `useSolver` is false. */
export async function createScheduler(opts: SchedulerOptions = {}): Promise<Scheduler> {
  const highs = opts.useSolver === false ? undefined : await loadSolver();
  return new Scheduler(opts, highs);
}
