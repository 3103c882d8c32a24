/**
 * The decisions query behind `GET /api/v1/decisions`: from the store's `scheduler_decisions` when
 * there is one (the full trail), else from the decisions kept in memory. Newest first, filtered, paged.
 */
import type { Store } from '@meridian/store';
import type { DecisionRecord } from './sinks.js';

/** The API's query parameters, validated (see api/decisions-params.ts). */
export interface DecisionFilter {
  readonly limit: number;
  readonly offset: number;
  readonly workload?: string;
  readonly action?: string;
  readonly region?: string;
  readonly outcome?: string;
  /** ms since the epoch: decisions at or after it. */
  readonly since?: number;
}

/** `recent` newest first, as Trail.decisions() gives them. */
export function filterDecisions(recent: readonly DecisionRecord[], f: DecisionFilter): DecisionRecord[] {
  return recent
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

export async function queryDecisions(store: Store, f: DecisionFilter): Promise<DecisionRecord[]> {
  const rows = await store.query<Record<string, unknown>>(
    // The epoch-ms figure is named ts_ms: aliased `ts`, it would replace the column in WHERE and ORDER
    // BY (ClickHouse resolves aliases there), and `since` would compare milliseconds with a DateTime64.
    `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, decision_id, pass_id, workload_id, action, region_from, region_to,
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
    ts: Number(r.ts_ms),
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
