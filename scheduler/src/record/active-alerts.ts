/**
 * The alerts that hold after a pass: a region stale or failed, moves in flight or awaiting approval
 * (one per source, destination and class), and work that must move but no region can take.
 */
import type { Move } from '../act/executor.js';
import type { Assessment } from '../assess/assess.js';
import type { InFlightMove } from '../memory.js';
import type { Plan, PlannedMove } from '../plan/types.js';
import type { ActiveAlert } from './alerts.js';

export function activeAlerts(
  asmt: Assessment,
  p: Plan | null,
  inFlight: readonly InFlightMove[],
  pending: readonly PlannedMove[],
): ActiveAlert[] {
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
  out.push(...migrationAlerts(asmt, inFlight, pending), ...blockedAlerts(p));
  return out;
}

/** One alert per (from, to, class) while moves between them are in flight or awaiting approval. */
function migrationAlerts(
  asmt: Assessment,
  inFlight: readonly InFlightMove[],
  pending: readonly PlannedMove[],
): ActiveAlert[] {
  const groups = new Map<string, { from: string; to: string; cls: string; n: number; evac: boolean }>();
  const add = (m: Move, evac: boolean) => {
    const cls = m.commClass ?? 'unknown';
    const k = `${m.from}|${m.to}|${cls}`;
    const g = groups.get(k) ?? { from: m.from, to: m.to, cls, n: 0, evac: false };
    g.n++;
    g.evac ||= evac;
    groups.set(k, g);
  };
  for (const f of inFlight) add(f.move, asmt.regions.get(f.move.from)?.status === 'failed');
  for (const m of pending) add(m.move, m.evacuate);
  return [...groups.values()].map((g) => ({
    labels: {
      alertname: 'MeridianWorkloadMigration',
      region_from: g.from,
      region_to: g.to,
      workload_class: g.cls,
      severity: g.evac ? 'critical' : 'info',
    },
    summary: `${g.n} ${g.cls} workload(s) moving ${g.from} → ${g.to}`,
  }));
}

/** Work that must move but cannot (no destination, or the source is stale). */
function blockedAlerts(p: Plan | null): ActiveAlert[] {
  const blocked = new Map<string, { from: string; cls: string; n: number }>();
  for (const r of p?.rejected ?? []) {
    if (r.reason !== 'no-feasible-destination') continue;
    const k = `${r.from}|${r.commClass}`;
    const b = blocked.get(k) ?? { from: r.from, cls: r.commClass, n: 0 };
    b.n++;
    blocked.set(k, b);
  }
  return [...blocked.values()].map((b) => ({
    labels: {
      alertname: 'MeridianRebalanceBlocked',
      region_from: b.from,
      region_to: 'none',
      workload_class: b.cls,
      severity: 'warning',
    },
    summary: `${b.n} ${b.cls} workload(s) in ${b.from} need to move but no region can take them`,
  }));
}
