/**
 * Scripted scenario events: each starts at its `at` and, with a `duration`, is undone when it ends.
 * Cooling loss heats a region, link degradation and cuts change the fiber (a cut reroutes), host
 * failures take hosts off the fabric and requeue their gangs, arrival surges multiply arrivals.
 */
import type { ScenarioEvent } from '../scenario.js';
import type { WorkloadKind } from '../workloads.js';
import type { Placement } from './placement.js';
import type { WorkloadRows } from './rows.js';
import type { TwinState } from './state.js';

type Surge = { kind: WorkloadKind | 'all'; factor: number; untilS: number };
type Active = { event: ScenarioEvent; undo: () => void; untilS: number };

export class Events {
  private readonly events: ScenarioEvent[];
  private next = 0;
  private active: Active[] = [];
  private surges: Surge[] = [];

  constructor(
    private readonly s: TwinState,
    private readonly rows: WorkloadRows,
    private readonly placement: Placement,
  ) {
    this.events = [...s.scenario.events].sort((a, b) => a.at - b.at);
  }

  /** End the events whose time is up by t1, then start those due by t1, in scenario time order. */
  apply(t1: number): void {
    const notes = this.s.notes;
    this.active = this.active.filter((a) => {
      if (a.untilS > t1) return true;
      a.undo();
      notes.push(`${a.event.type} ended`);
      return false;
    });
    this.surges = this.surges.filter((s) => s.untilS > t1);
    while (this.next < this.events.length && (this.events[this.next] as ScenarioEvent).at <= t1) {
      const e = this.events[this.next++] as ScenarioEvent;
      const undo = this.start(e);
      const until = e.duration === undefined ? Infinity : e.at + e.duration;
      if (undo && Number.isFinite(until)) this.active.push({ event: e, undo, untilS: until });
    }
  }

  /** The product of the running surges' factors for arrivals of `kind`. */
  surgeFactor(kind: WorkloadKind): number {
    let f = 1;
    for (const s of this.surges) if (s.kind === 'all' || s.kind === kind) f *= s.factor;
    return f;
  }

  /** Start one event; returns how to undo it, or null when there is nothing to undo. */
  private start(e: ScenarioEvent): (() => void) | null {
    const s = this.s;
    const f = s.fabric;
    switch (e.type) {
      case 'cooling_loss': {
        const r = f.regionByName(e.region);
        if (!r) return null;
        r.coolingLoss = e.severity;
        s.notes.push(`cooling loss in ${r.name} (severity ${e.severity})`);
        return () => (r.coolingLoss = 0);
      }
      case 'link_degradation': {
        const l = f.linkById(e.link);
        if (!l) return null;
        l.addedRttMs += e.added_rtt_ms;
        l.addedLossPct += e.added_loss_pct;
        l.capacityFactor *= e.capacity_factor;
        s.notes.push(
          `link ${l.id} degraded (+${e.added_rtt_ms} ms RTT, +${e.added_loss_pct}% loss, ×${e.capacity_factor} capacity)`,
        );
        return () => {
          l.addedRttMs -= e.added_rtt_ms;
          l.addedLossPct -= e.added_loss_pct;
          l.capacityFactor /= e.capacity_factor;
        };
      }
      case 'link_cut': {
        const l = f.linkById(e.link);
        if (!l) return null;
        l.cut = true;
        s.routes.recompute();
        s.notes.push(`link ${l.id} cut`);
        return () => {
          l.cut = false;
          s.routes.recompute();
        };
      }
      case 'host_failure': {
        const r = f.regionByName(e.region);
        if (!r) return null;
        const hosts: number[] = [];
        if (typeof e.hosts === 'number') {
          for (let h = r.hostStart; h < r.hostStart + r.hostCount && hosts.length < e.hosts; h++)
            if (f.hostFailed[h] === 0) hosts.push(h);
        } else {
          for (const name of e.hosts) {
            const h = f.hostNames.indexOf(name);
            if (h >= 0) hosts.push(h);
          }
        }
        for (const h of hosts) this.failHost(h);
        return () => {
          for (const h of hosts) f.hostFailed[h] = 0;
        };
      }
      case 'arrival_surge': {
        this.surges.push({ kind: e.kind, factor: e.factor, untilS: e.at + e.duration });
        s.notes.push(`arrival surge ×${e.factor} (${e.kind})`);
        return null;
      }
    }
  }

  private failHost(h: number): void {
    const s = this.s;
    const f = s.fabric;
    f.hostFailed[h] = 1;
    const start = f.hostGpuStart[h] as number;
    const n = f.hostGpuCount[h] as number;
    const hit = new Set<number>();
    for (let g = start; g < start + n; g++) {
      // XID 79: the GPU has fallen off the bus. The host is gone, so this is only seen in the stats.
      f.xidLast[g] = 79;
      f.xidCount[g] = (f.xidCount[g] as number) + 1;
      const slot = f.job[g] as number;
      if (slot >= 0) hit.add(slot);
    }
    s.notes.push(`host ${f.hostNames[h]} failed`);
    for (const slot of [...hit].sort((a, b) => a - b)) {
      const w = s.workloads[slot];
      if (!w) continue;
      // The gang dies with its host and goes back to its own cluster's queue (it resumes from its
      // checkpoint). Without a cross-cluster failover (no Karmada failover, no rebalancer) a Job
      // whose cluster lost its hosts is re-created by that cluster when it has room again: it does
      // not re-appear in another region by itself (see sim/README.md, "Failures").
      const region = w.currentRegion;
      this.placement.stop(w, 'failed');
      s.stats.failed++;
      w.state = 'queued';
      w.heldIn = region;
      w.requeuedS = s.timeS;
      s.queue.push(w);
      this.rows.markChanged(w);
    }
  }
}
