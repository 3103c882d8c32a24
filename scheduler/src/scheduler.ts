/**
 * The loop: observe → assess → verify → plan → act → record, once per interval, plus the manual
 * "rebalance now", the kill switch (pause/resume) and approval of pending plans. Verify checks the
 * moves earlier passes started against this pass's observation, so it runs before plan: what landed
 * or failed is settled before new moves are planned on top of it. Each step lives in its stage's
 * folder (observe/, assess/, plan/, act/, record/); this file sequences them. Time comes from an
 * injected clock and nothing random is used, so the same observations and config replay to the same
 * decisions.
 */
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Highs } from 'highs';
import type { Store } from '@meridian/store';
import { executeMoves, outcomeNote, outcomeText, type ExecutedMove } from './act/act.js';
import { Approvals, type PendingPlan } from './act/approval.js';
import type { Executor, Move } from './act/executor.js';
import { DryRunExecutor } from './act/executors.js';
import { steer, type PlacementState } from './act/place.js';
import { verifyInFlight } from './act/verify.js';
import type { RunningApi } from './api/server.js';
import type { ApiToken } from './api/types.js';
import { bindWhatIf, projectPlanner, type WhatIfEngine, type WhatIfRequest, type WhatIfResult } from './api/whatif.js';
import { assess, type Assessment } from './assess/assess.js';
import { parseConfig, readSecret, type ConfigInput, type SchedulerConfig } from './config.js';
import { emptyMemory, pruneJobs, type SchedulerMemory } from './memory.js';
import { SchedulerMetrics } from './metrics.js';
import type { Observation } from './observe/observation.js';
import { readObservation } from './observe/reader.js';
import { plan as makePlan } from './plan/plan.js';
import { loadSolver } from './plan/solve-milp.js';
import type { Plan, PlanResult } from './plan/types.js';
import { activeAlerts } from './record/active-alerts.js';
import type { AlertBook } from './record/alerts.js';
import { filterDecisions, queryDecisions, type DecisionFilter } from './record/decisions-query.js';
import { DecisionRecords } from './record/records.js';
import { StoreSink, type DecisionRecord, type Sink } from './record/sinks.js';
import { Trail } from './record/trail.js';

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
  /** A what-if engine (the twin's, injected by `meridian up` or the CLI: see api/whatif.ts). */
  readonly whatIf?: WhatIfEngine;
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

export interface SchedulerState {
  readonly observation: Observation | null;
  readonly assessment: Assessment | null;
  readonly paused: boolean;
  readonly lastPassTs: number | null;
  readonly lastPassMs: number | null;
  readonly lastError: string | null;
  readonly inFlight: readonly Move[];
}

/** Runs one step of a pass in its own span, and times it in the phase histogram. */
type Phase = <T>(name: string, fn: (span: Span) => Promise<T> | T) => Promise<T>;

/** What plan, act and place produced in a pass that was not paused. */
interface Decided {
  readonly plan: Plan;
  readonly flaps: number;
  readonly executed: ExecutedMove[];
  readonly placement: PlacementState | null;
}

export class Scheduler {
  readonly config: SchedulerConfig;
  readonly metrics = new SchedulerMetrics();
  readonly memory: SchedulerMemory = emptyMemory();
  readonly executor: Executor;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly trail: Trail;
  private readonly records: DecisionRecords;
  private readonly approvals: Approvals;
  private highs: Highs | undefined;
  private isPaused = false;
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
  private placementNow: PlacementState | null = null;

  /** POST /api/v1/whatif: present only when an engine was injected (SchedulerOptions.whatIf). */
  readonly whatIf?: (req: WhatIfRequest) => Promise<WhatIfResult>;

  constructor(
    private readonly opts: SchedulerOptions,
    highs: Highs | undefined,
  ) {
    // Parsing is idempotent, so an already-parsed config goes through the same validation.
    this.config = parseConfig(opts.config ?? {});
    this.executor = opts.executor ?? new DryRunExecutor();
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
    if (opts.whatIf)
      this.whatIf = bindWhatIf(opts.whatIf, {
        observation: () => this.observe(this.clock()),
        pendingMoves: () => this.approvals?.pending?.plan.moves.map((m) => m.move) ?? [],
        planner: projectPlanner(this.config, highs ? { highs } : {}),
      });
    const sinks = [...(opts.store ? [new StoreSink(opts.store)] : []), ...(opts.sinks ?? [])];
    const { intervalSeconds, record } = this.config;
    this.trail = new Trail(sinks, intervalSeconds * 1000, record.alertmanager?.generatorURL, this.metrics, this.log);
    this.records = new DecisionRecords(this.config, this.executor.name, () => ({
      obs: this.lastObs,
      asmt: this.lastAsmt,
    }));
    this.approvals = new Approvals(this.config.approvalTtlSeconds * 1000);
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
    const pending = this.approvals.pending;
    return { plan: pending?.plan ?? this.lastPlan, pending };
  }

  /** Latest decisions, newest first. */
  decisions(): readonly DecisionRecord[] {
    return this.trail.decisions();
  }

  alerts(): ReturnType<AlertBook['firing']> {
    return this.trail.alertBook.firing();
  }

  /** The latest placement weights and what became of them (null before the first steered pass). */
  placement(): PlacementState | null {
    return this.placementNow;
  }

  /** Decisions for the API: from the store when there is one (the full trail), else from memory. */
  async queryDecisions(f: DecisionFilter): Promise<DecisionRecord[]> {
    return this.opts.store ? queryDecisions(this.opts.store, f) : filterDecisions(this.trail.decisions(), f);
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
    const { timeouts, maxConnections } = this.config.api;
    const api = await startApi(this, {
      host: opts.host ?? this.config.api.host,
      port: opts.port ?? this.config.api.port,
      tokens,
      limits: {
        requestTimeoutMs: timeouts.requestSeconds * 1000,
        headersTimeoutMs: timeouts.headersSeconds * 1000,
        keepAliveTimeoutMs: timeouts.keepAliveSeconds * 1000,
        idleTimeoutMs: timeouts.idleSeconds * 1000,
        maxConnections,
      },
    });
    this.apis.push(api);
    return api;
  }

  /** Approves the pending plan: its moves go to the executor now. */
  async approve(passId: string, by: string): Promise<{ executed: readonly ExecutedMove[] }> {
    const now = this.clock();
    const p = this.approvals.take(passId, now);
    const executed = await this.act(p.plan.moves, now);
    const decisions = executed.map((e) =>
      this.records.move(
        p.plan,
        e.planned,
        outcomeText(e.outcome),
        now,
        [`approved by ${by}`, outcomeNote(e.outcome)].filter(Boolean).join('; '),
      ),
    );
    await this.trail.record(p.plan.passId + '-approve', now, decisions, []);
    return { executed };
  }

  async reject(passId: string, by: string): Promise<void> {
    const now = this.clock();
    const p = this.approvals.take(passId, now);
    const decisions = p.plan.moves.map((m) =>
      this.records.move(p.plan, m, 'rejected-by-operator', now, `rejected by ${by}`),
    );
    await this.trail.record(p.plan.passId + '-reject', now, decisions, []);
  }

  /** One pass: observe → assess → verify → plan → act (and place) → record. */
  private async pass(fresh: boolean): Promise<PassReport> {
    const t0 = performance.now();
    const now = this.clock();
    const tracer = trace.getTracer('@meridian/scheduler');
    const root = tracer.startSpan('scheduler.pass', { attributes: { 'meridian.pass.fresh': fresh } });
    const phase = this.phases(tracer, trace.setSpan(context.active(), root));
    try {
      const obs = await phase('observe', (span) => this.observeStep(now, span));
      const asmt = await phase('assess', () => assess(obs, this.config, this.memory));
      this.lastObs = obs;
      this.lastAsmt = asmt;
      const decisions: DecisionRecord[] = await phase('verify', () =>
        verifyInFlight(obs, asmt, now, { config: this.config, memory: this.memory, records: this.records }),
      );
      const decided = this.isPaused ? null : await this.decide(obs, asmt, now, fresh, phase, decisions);
      pruneJobs(this.memory, now, Math.max(this.config.cooldownSeconds, this.config.flapWindowSeconds) * 1000);
      const pending = this.approvals.pending?.plan.moves ?? [];
      const alerts = activeAlerts(asmt, decided?.plan ?? null, this.memory.inFlight, pending);
      await phase('record', async (span) => {
        span.setAttribute('meridian.decisions', decisions.length);
        await this.trail.record(`pass-${now}`, now, decisions, alerts);
      });
      root.setAttributes({ 'meridian.pass.id': `pass-${now}`, 'meridian.pass.decisions': decisions.length });
      return this.finish(now, t0, decided, decisions);
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

  /** plan → act (or hold for approval) → place, and the holds; decisions are appended in that order. */
  private async decide(
    obs: Observation,
    asmt: Assessment,
    now: number,
    fresh: boolean,
    phase: Phase,
    decisions: DecisionRecord[],
  ): Promise<Decided> {
    const result = await phase('plan', (span) => this.planStep(obs, asmt, fresh, span));
    const planned = result.plan;
    this.metrics.flapsPrevented.inc(result.flapsPrevented);
    for (const r of planned.rejected) this.metrics.rejected.inc({ limit: r.reason });

    let executed: ExecutedMove[] = [];
    if (this.config.requireApproval) {
      this.approvals.offer(planned, now);
      for (const m of planned.moves) decisions.push(this.records.move(planned, m, 'pending-approval', now));
    } else {
      executed = await phase('act', async (span) => {
        const ex = await this.act(planned.moves, now);
        span.setAttribute('meridian.executed', ex.length);
        return ex;
      });
      for (const e of executed)
        decisions.push(this.records.move(planned, e.planned, outcomeText(e.outcome), now, outcomeNote(e.outcome)));
    }
    // After acting, so the weights count this pass's moves where they are going.
    // Nothing observed (an empty store): no weights, rather than "no region can take work".
    let placement: PlacementState | null = null;
    if (this.config.placement.steer && asmt.regions.size > 0) {
      const deps = { config: this.config, memory: this.memory, executor: this.executor, log: this.log };
      placement = await phase('place', () => steer(planned, obs, asmt, now, deps));
      this.placementNow = placement;
    }
    const rec = placement && this.records.place(planned, placement, now);
    if (rec) decisions.push(rec);
    decisions.push(...this.records.holds(planned, now));
    this.lastPlan = planned;
    return { plan: planned, flaps: result.flapsPrevented, executed, placement };
  }

  private async observeStep(now: number, span: Span): Promise<Observation> {
    const o = await this.observe(now);
    span.setAttributes({
      'meridian.regions': o.regions.length,
      'meridian.workloads': o.workloads.length,
      'meridian.links': o.links.length,
    });
    return o;
  }

  private planStep(obs: Observation, asmt: Assessment, fresh: boolean, span: Span): PlanResult {
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
  }

  private act(moves: Plan['moves'], now: number): Promise<ExecutedMove[]> {
    return executeMoves(moves, now, {
      config: this.config,
      memory: this.memory,
      executor: this.executor,
      metrics: this.metrics,
      asmt: this.lastAsmt,
    });
  }

  /** The pass's bookkeeping (state, metrics) and its report, handed to onPass. */
  private finish(now: number, t0: number, decided: Decided | null, decisions: DecisionRecord[]): PassReport {
    this.lastPassTs = now;
    this.lastError = null;
    const durationMs = performance.now() - t0;
    this.lastPassMs = durationMs;
    this.metrics.loopDuration.observe(durationMs / 1000);
    this.metrics.passes.inc({ result: this.isPaused ? 'paused' : 'ok' });
    this.metrics.inFlight.set(this.memory.inFlight.length);
    const report: PassReport = {
      passId: `pass-${now}`,
      ts: now,
      paused: this.isPaused,
      plan: decided?.plan ?? null,
      executed: decided?.executed ?? [],
      decisions,
      flapsPrevented: decided?.flaps ?? 0,
      placement: decided?.placement ?? null,
      durationMs,
    };
    this.opts.onPass?.(report);
    return report;
  }

  private phases(tracer: ReturnType<typeof trace.getTracer>, ctx: ReturnType<typeof context.active>): Phase {
    return async (name, fn) => {
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
}

/** Builds a scheduler; loads the HiGHS runtime unless `useSolver` is false. */
export async function createScheduler(opts: SchedulerOptions = {}): Promise<Scheduler> {
  const highs = opts.useSolver === false ? undefined : await loadSolver();
  return new Scheduler(opts, highs);
}
