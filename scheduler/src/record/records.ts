/**
 * Decision records: one row per move (planned, executed, pending, approved or rejected), hold, verify
 * and placement change, each with the inputs and scores that explain it. A repeated hold, and an
 * unchanged set of regions taking new work, is written again only after `record.holdRepeatSeconds`,
 * so a pinned job in a hot region does not add a row every pass.
 */
import type { Assessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { pairKey, type InFlightMove } from '../memory.js';
import type { Observation } from '../observe/observation.js';
import { cmp } from '../order.js';
import type { Plan, PlannedMove, Rejection } from '../plan/types.js';
import type { PlacementState } from '../act/place.js';
import type { DecisionRecord } from './sinks.js';

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Builds the records of one scheduler; it remembers what it wrote last, for the repeat rules. */
export class DecisionRecords {
  /** Last hold written per workload, to write repeats of the same hold only every holdRepeatSeconds. */
  private lastHolds = new Map<string, { key: string; ts: number }>();
  /** The regions that last took new work, and when that was recorded (see place). */
  private lastPlacement: { key: string; ts: number } | null = null;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly executorName: string,
    /** The latest observation and assessment, whose figures go into each record's inputs. */
    private readonly latest: () => { obs: Observation | null; asmt: Assessment | null },
  ) {}

  move(p: Plan, m: PlannedMove, outcome: string, now: number, note?: string): DecisionRecord {
    return {
      ts: now,
      decision_id: `${m.move.moveId}/move`,
      pass_id: p.passId,
      workload_id: m.move.workloadId,
      action: 'move',
      region_from: m.move.from,
      region_to: m.move.to,
      reason: note ? `${m.trigger} (${note})` : m.trigger,
      inputs: this.inputs(m.move.from, m.move.to, m.move.workloadId),
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
      executor: this.executorName,
      outcome,
      benefit: m.benefit,
      cost: m.cost,
    };
  }

  /** The plan's holds, less those written recently for the same reason and destination. */
  holds(p: Plan, now: number): DecisionRecord[] {
    const repeatMs = this.config.record.holdRepeatSeconds * 1000;
    const seen = new Map<string, { key: string; ts: number }>();
    const out: DecisionRecord[] = [];
    for (const r of p.rejected) {
      const key = `${r.reason}|${r.to}`;
      const prev = this.lastHolds.get(r.workloadId);
      // Same hold as before and recently written: counted in metrics, not written again.
      const repeat = prev !== undefined && prev.key === key && now - prev.ts < repeatMs;
      seen.set(r.workloadId, repeat && prev ? prev : { key, ts: now });
      if (!repeat) out.push(this.hold(p, r, now));
    }
    this.lastHolds = seen;
    return out;
  }

  private hold(p: Plan, r: Rejection, now: number): DecisionRecord {
    return {
      ts: now,
      decision_id: `${p.passId}:${r.workloadId}/reject`,
      pass_id: p.passId,
      workload_id: r.workloadId,
      action: 'hold',
      region_from: r.from,
      region_to: r.to,
      reason: `${r.trigger}; held: ${r.detail}`,
      inputs: this.inputs(r.from, r.to, r.workloadId),
      scores: JSON.stringify({ benefit: round(r.benefit), cost: round(r.cost), margin: this.config.margin }),
      limits: [r.reason],
      executor: this.executorName,
      outcome: r.reason,
      benefit: r.benefit,
      cost: r.cost,
    };
  }

  /**
   * The placement weights as a decision (action `place`), written when the regions that take new work
   * change, or the same set again after `record.holdRepeatSeconds`: the figures move a little every
   * pass, and a row per pass would bury the moves.
   */
  place(p: Plan, placement: PlacementState, now: number): DecisionRecord | null {
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
          [...(this.latest().asmt?.regions.values() ?? [])].map((r) => [
            r.region,
            { status: r.status, heating: r.heating, allocated: r.gpusAllocated, total: r.gpusTotal },
          ]),
        ),
      ),
      scores: JSON.stringify(Object.fromEntries(ranked)),
      limits: [],
      executor: this.executorName,
      outcome: placement.outcome === 'unchanged' ? 'set' : placement.outcome,
      benefit: 0,
      cost: 0,
    };
  }

  /** What verification found for a move in flight (outcome verified, unhelpful or failed). */
  verify(
    f: InFlightMove,
    outcome: string,
    observed: { region: string | null; destAllocated: number | null; destStatus: string | null },
    job: { failures: number; notBefore: number },
    now: number,
  ): DecisionRecord {
    return {
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
        observed,
      }),
      scores: JSON.stringify({ failures: job.failures, notBefore: job.notBefore }),
      limits: [],
      executor: this.executorName,
      outcome,
      benefit: 0,
      cost: 0,
    };
  }

  private inputs(from: string, to: string, workloadId: string): string {
    const { obs, asmt: a } = this.latest();
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
    const w = obs?.workloads.find((x) => x.id === workloadId);
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
}
