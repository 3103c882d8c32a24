/**
 * The executor the scheduler drives. A move takes modelled time (checkpoint bytes ÷ spare bandwidth
 * on the route, plus the restart) during which a gang makes no progress, and its bytes load every
 * link of the route (Load adds them). Training and batch moves are break-before-make; inference
 * moves are make-before-break.
 */
import type { Executor, Move, MoveOutcome } from '@meridian/scheduler';
import type { Region } from '../fabric.js';
import type { Workload } from '../workloads.js';
import type { Placement } from './placement.js';
import type { WorkloadRows } from './rows.js';
import type { TwinState } from './state.js';

export class Moves {
  constructor(
    private readonly s: TwinState,
    private readonly rows: WorkloadRows,
    private readonly placement: Placement,
  ) {}

  /** The scheduler's executor: it carries out moves in simulated time and steers arrivals. */
  executor(): Executor {
    return {
      name: 'twin',
      execute: (move) => Promise.resolve(this.execute(move)),
      place: (weights) => {
        this.placement.setAdmissionWeights(weights);
        return Promise.resolve();
      },
    };
  }

  /**
   * Start a move now. Training and batch gangs stop (break-before-make): their checkpoint crosses the
   * route at the spare bandwidth, then they restart at the target. Inference services keep serving
   * at the source until the copy at the target is up (make-before-break).
   */
  execute(move: Move): MoveOutcome {
    const s = this.s;
    const fail = (error: string): MoveOutcome => {
      s.stats.movesFailed++;
      return { status: 'failed', error };
    };
    const w = s.byId.get(move.workloadId);
    if (!w) return fail(`no workload "${move.workloadId}"`);
    if (w.state === 'queued' && w.heldIn !== undefined) return this.resubmit(w, move, fail);
    if (w.state !== 'running') return fail(`workload ${w.id} is ${w.state}, not running`);
    if (w.pinned) return fail(`workload ${w.id} is pinned`);
    const ends = this.endsOf(move);
    if (typeof ends === 'string') return fail(ends);
    const { from, to } = ends;
    if (w.currentRegion !== from.index)
      return fail(`workload ${w.id} is in ${s.regionName(w.currentRegion)}, not ${move.from}`);
    if (from.index === to.index) return fail('source and target are the same region');
    const path = s.routes.path(from.index, to.index);
    if (!path) return fail(`no route from ${move.from} to ${move.to} (link cut)`);
    const rate = s.routes.spareBps(from.index, to.index);
    if (rate <= 0) return fail(`no bandwidth from ${move.from} to ${move.to}`);
    const target = s.fabric.allocate(to.index, w.gpus, w.slot);
    if (!target) return fail(`not enough free GPUs in ${move.to} for ${w.gpus}`);

    const bytes = move.checkpointBytes > 0 ? move.checkpointBytes : w.checkpointBytes;
    const transferS = bytes / rate;
    const now = s.timeS;
    // Make-before-break: the new replicas take traffic for one tick (readiness passed, the load
    // balancer shifting) before the old ones are released, so the switchover lands on warm GPUs.
    const drainS = w.kind === 'inference' ? s.tickS : 0;
    const restartS = s.scenario.restart;
    const durationS = transferS + restartS + drainS;
    w.migration = {
      moveId: move.moveId,
      to: to.index,
      startS: now,
      transferEndS: now + transferS,
      readyS: now + transferS + restartS,
      endS: now + durationS,
      bytes,
      rateBps: rate,
      path,
      target,
    };
    for (const g of target) s.fabric.memFrac[g] = 0;
    if (w.kind !== 'inference') {
      s.fabric.release(w.alloc);
      w.alloc = target;
      w.state = 'migrating';
      this.rows.markChanged(w);
    }
    w.moves++;
    s.stats.moves++;
    s.stats.bytesMoved += bytes;
    s.notes.push(`move ${w.id} ${move.from}→${move.to} ${(bytes / 2 ** 30).toFixed(0)} GiB, ${durationS.toFixed(0)} s`);
    return { status: 'started', expectedDurationMs: Math.round(durationS * 1000) };
  }

  /** The move's two regions, or why the fabric has no such region (a live move and a resubmission alike). */
  private endsOf(move: Move): { from: Region; to: Region } | string {
    const from = this.s.fabric.regionByName(move.from);
    const to = this.s.fabric.regionByName(move.to);
    if (!from) return `no region "${move.from}"`;
    if (!to) return `no region "${move.to}"`;
    return { from, to };
  }

  /**
   * A gang requeued in its own region after a failure, resubmitted by the scheduler to another
   * region (a cross-cluster failover, as Karmada's would): it joins that region's queue at once and
   * starts there when it has room, from its checkpoint, which the twin takes as replicated
   * off-region as the planner does (a dark region cannot be read), so no bytes cross.
   */
  private resubmit(w: Workload, move: Move, fail: (error: string) => MoveOutcome): MoveOutcome {
    const s = this.s;
    if (w.pinned) return fail(`workload ${w.id} is pinned`);
    const ends = this.endsOf(move);
    if (typeof ends === 'string') return fail(ends);
    const { from, to } = ends;
    if (w.heldIn !== from.index)
      return fail(`workload ${w.id} waits in ${s.regionName(w.heldIn ?? w.currentRegion)}, not ${move.from}`);
    if (from.index === to.index) return fail('source and target are the same region');
    w.heldIn = to.index;
    w.currentRegion = to.index;
    // A failover, not a migration: nothing that runs stops and no bytes cross (stats.resubmitted).
    s.stats.resubmitted++;
    this.rows.markChanged(w);
    s.notes.push(`resubmit ${w.id} ${move.from}→${move.to} (requeued after a failure)`);
    return { status: 'done', note: `resubmitted to ${move.to}'s queue` };
  }

  /** Finish `w`'s move if it is due by t1: the gang runs at the target (an inference set drops its source). */
  land(w: Workload, t1: number): void {
    const m = w.migration;
    if (!m || m.endS > t1) return;
    const f = this.s.fabric;
    if (w.kind === 'inference') {
      f.release(w.alloc);
      w.alloc = m.target;
    }
    for (const g of w.alloc) f.memFrac[g] = w.memFrac;
    w.currentRegion = m.to;
    w.migration = null;
    w.state = 'running';
    this.rows.markChanged(w);
    this.s.notes.push(`move ${w.id} done`);
  }
}
