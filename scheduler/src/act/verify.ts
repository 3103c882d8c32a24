/**
 * Verify: compares each move in flight with what is observed now. A move has landed when its
 * workload is seen in the destination (a replica move: when the destination's allocation rose by its
 * GPUs); it is unhelpful when the destination went hot or unhealthy with it, failed when it has not
 * landed by its expected duration plus `verify.timeoutSeconds`. Landed and failed moves leave the
 * in-flight list; a verified one clears its job's backoff, the others back it off.
 */
import type { Assessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { jobMemory, type InFlightMove, type SchedulerMemory } from '../memory.js';
import type { Observation } from '../observe/observation.js';
import type { DecisionRecords } from '../record/records.js';
import type { DecisionRecord } from '../record/sinks.js';
import { failMove } from './act.js';

export function verifyInFlight(
  obs: Observation,
  asmt: Assessment,
  now: number,
  deps: { readonly config: SchedulerConfig; readonly memory: SchedulerMemory; readonly records: DecisionRecords },
): DecisionRecord[] {
  const { config, memory } = deps;
  const out: DecisionRecord[] = [];
  const byId = new Map(obs.workloads.map((w) => [w.id, w]));
  const keep: InFlightMove[] = [];
  for (const f of memory.inFlight) {
    const w = byId.get(f.move.workloadId);
    const dest = asmt.regions.get(f.move.to);
    const partial = f.move.replicas !== undefined;
    const arrived = partial
      ? (dest?.gpusAllocated ?? 0) >= f.destAllocatedBefore + f.move.gpus
      : w?.region === f.move.to;
    const deadline = f.startedTs + f.expectedDurationMs + config.verify.timeoutSeconds * 1000;
    let outcome: string | null = null;
    if (arrived) {
      // Unhelpful: the destination went hot or unhealthy because of what it received.
      outcome = dest && (dest.status === 'hot' || dest.status === 'unhealthy') ? 'unhelpful' : 'verified';
    } else if (now > deadline) outcome = 'failed';
    if (outcome === null) {
      keep.push(f);
      continue;
    }
    const job = jobMemory(memory, f.move.workloadId);
    if (outcome === 'verified') {
      job.failures = 0;
      job.notBefore = 0;
    } else failMove(memory, config, f.move.workloadId, now);
    const observed = {
      region: w?.region ?? null,
      destAllocated: dest?.gpusAllocated ?? null,
      destStatus: dest?.status ?? null,
    };
    out.push(deps.records.verify(f, outcome, observed, job, now));
  }
  memory.inFlight = keep;
  return out;
}
