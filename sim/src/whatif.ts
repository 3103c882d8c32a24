/**
 * The twin's what-if engine (the contract is the scheduler's, scheduler/src/api/whatif.ts; `meridian
 * up` and the CLI inject this function into the scheduler, which never imports the twin).
 *
 * From the scheduler's observation it builds a twin: each observed region with its GPUs (hosts of 8,
 * or of 1 where the count is not a multiple of 8), each observed link with the route length its RTT
 * floor implies and its capacity and loss, every observed workload running where it runs now, and
 * the current health as events from t = 0 (a throttling region loses cooling in proportion, a region
 * that has gone silent has all its hosts failed). It adds the asked event at the first pass, 30 s
 * in, and plays two copies forward: one doing nothing, one with the moves (the pending plan's, or
 * the scheduler's own planner answering the event as a pass would see it) made the instant before
 * the event, as a plan approved in time would be. No new work arrives in either: the projection is
 * about the work there is.
 */
import type { Move, Observation, WhatIfEngine, WhatIfEvent, WhatIfOutcome, WhatIfResult } from '@meridian/scheduler';
import { FIBER_MS_PER_KM } from '@meridian/catalog';
import { parseScenario, type Scenario } from './scenario.js';
import { Twin } from './twin.js';
import type { CommClass, WorkloadKind, WorkloadSpec } from './workloads.js';

/** A day: how old the last sample of a failed region is made in the projected observation. */
const SILENT_MS = 86_400_000;
/** The first scheduler pass after the event, when the planned moves are made. */
const FIRST_PASS_S = 30;
/** Work that outlives any projection (the observation says nothing about when it ends). */
const FOREVER_S = 1e9;

function hostsOf(gpus: number): { count: number; gpus_per_host: number } {
  return gpus % 8 === 0 ? { count: gpus / 8, gpus_per_host: 8 } : { count: gpus, gpus_per_host: 1 };
}

function eventsOf(obs: Observation, event: WhatIfEvent | undefined): object[] {
  const out: object[] = [];
  for (const r of obs.regions) {
    if (r.gpusTotal <= 0) continue;
    if (r.lastSampleTs === null || obs.ts - r.lastSampleTs > 300_000)
      out.push({ type: 'host_failure', at: 0, region: r.region, hosts: hostsOf(r.gpusTotal).count });
    else if ((r.throttledShare ?? 0) > 0.05)
      out.push({ type: 'cooling_loss', at: 0, region: r.region, severity: Math.min(1, r.throttledShare ?? 0) });
  }
  if (!event) return out;
  // The asked event starts at the first pass; the planned moves are made the instant before it.
  const at = FIRST_PASS_S;
  const gpus = obs.regions.find((r) => 'region' in event && r.region === event.region)?.gpusTotal ?? 0;
  if (event.type === 'cooling_loss')
    out.push({ type: 'cooling_loss', at, region: event.region, severity: event.severity ?? 0.8 });
  else if (event.type === 'region_failure')
    out.push({ type: 'host_failure', at, region: event.region, hosts: hostsOf(gpus).count });
  else out.push({ type: 'link_cut', at, link: event.link });
  return out;
}

/** The twin's scenario for an observation (see the module comment). */
export function scenarioFromObservation(obs: Observation, event?: WhatIfEvent): Scenario {
  if (!obs.regions.some((r) => r.gpusTotal > 0))
    throw new Error('what-if: the observation has no region with GPUs (is the store empty?)');
  const regions = obs.regions
    .filter((r) => r.gpusTotal > 0)
    .map((r) => ({
      name: r.region,
      lat: 0,
      lon: 0,
      hosts: [
        {
          ...hostsOf(r.gpusTotal),
          gpu: { model: r.gpuModels[0] ?? 'unknown GPU', memory_gb: 80, tdp_w: 700 },
        },
      ],
    }));
  const names = new Set(regions.map((r) => r.name));
  const seen = new Set<string>();
  const links: object[] = [];
  for (const l of obs.links) {
    const key = [l.from, l.to].sort().join('|');
    if (seen.has(key) || !names.has(l.from) || !names.has(l.to) || l.from === l.to) continue;
    seen.add(key);
    // The RTT floor is 2 × route × the fiber's ms per km (equipment delay folded into the route).
    const floorMs = l.floorMs ?? l.rttMs ?? 1;
    links.push({
      from: l.from,
      to: l.to,
      route_km: Math.min(40000, Math.max(1, floorMs / 2 / FIBER_MS_PER_KM)),
      capacity_gbps: (l.capacityBps ?? 100e9) / 1e9,
      loss_pct: Math.min(100, Math.max(0, l.lossPct ?? 0)),
      equipment_delay_ms: 0,
    });
  }
  const doc = {
    name: 'whatif',
    description: `what-if projected from the observation at ${new Date(obs.ts).toISOString()}`,
    seed: 1,
    regions,
    links,
    events: eventsOf(obs, event),
  };
  return parseScenario(JSON.stringify(doc), '<whatif>');
}

/** The observed workloads as the twin's, each running where it runs now. */
export function workloadsFromObservation(obs: Observation, scenario: Scenario): WorkloadSpec[] {
  const index = new Map(scenario.regions.map((r, i) => [r.name, i]));
  const util = new Map(obs.regions.map((r) => [r.region, r.utilGpu ?? 90]));
  const out: WorkloadSpec[] = [];
  for (const w of obs.workloads) {
    const region = index.get(w.region);
    if (region === undefined || w.gpus <= 0) continue;
    const kind: WorkloadKind = w.kind;
    const comm: CommClass = w.commClass;
    out.push({
      id: w.id,
      kind,
      comm,
      gpus: w.gpus,
      region,
      checkpointBytes: w.checkpointBytes,
      memFrac: 0.8,
      utilLevel: Math.min(100, Math.max(10, util.get(w.region) ?? 90)),
      arrivalS: 0,
      durationS: FOREVER_S,
      fixedEnd: kind === 'inference',
      priority: w.priority,
      pinned: w.pinned,
      ...(kind === 'inference' ? { peakRpsPerReplica: 40, sloMs: w.latencyBudgetMs ?? 200 } : {}),
    });
  }
  return out;
}

/** The observation a pass would read once the event has happened (the planner's input). */
export function projectObservation(obs: Observation, event: WhatIfEvent | undefined): Observation {
  if (!event) return obs;
  if (event.type === 'link_cut') {
    const [a, b] = event.link.split('->');
    return {
      ...obs,
      links: obs.links.map((l) =>
        (l.from === a && l.to === b) || (l.from === b && l.to === a)
          ? { ...l, lossPct: 100, rttMs: null, throughputBps: 0 }
          : l,
      ),
    };
  }
  return {
    ...obs,
    regions: obs.regions.map((r) => {
      if (r.region !== event.region) return r;
      if (event.type === 'region_failure')
        return { ...r, lastSampleTs: obs.ts - SILENT_MS, utilGpu: null, utilGpuRecent: null, throttledShare: null };
      const thr = event.severity ?? 0.8;
      return { ...r, throttledShare: thr, throttledShareRecent: thr };
    }),
  };
}

function outcome(twin: Twin): WhatIfOutcome {
  const s = twin.stats;
  return {
    sloMinutes: s.sloViolationS / 60,
    queueSeconds: s.started ? s.queueS / s.started : 0,
    queued: twin.workloads.filter((w) => w.state === 'queued').length,
    moves: s.moves,
    bytesMoved: s.bytesMoved,
  };
}

async function play(
  scenario: Scenario,
  obs: Observation,
  specs: WorkloadSpec[],
  minutes: number,
  moves: readonly Move[],
) {
  const twin = new Twin(scenario, { seed: 1, startMs: obs.ts, workloads: specs });
  const steps = Math.round((minutes * 60) / twin.tickS);
  const ex = twin.executor();
  let made = moves.length === 0;
  for (let i = 1; i <= steps; i++) {
    // The moves go out in the tick before the one the event starts in (events start within a tick).
    if (!made && twin.timeS + twin.tickS >= FIRST_PASS_S - 1e-9) {
      made = true;
      for (const m of moves) await ex.execute(m);
    }
    twin.step();
  }
  return outcome(twin);
}

export const whatIfEngine: WhatIfEngine = async (input): Promise<WhatIfResult> => {
  const obs = input.observation;
  const scenario = scenarioFromObservation(obs, input.event);
  const specs = workloadsFromObservation(obs, scenario);
  const moves =
    input.usePendingPlan || !input.event ? input.pendingMoves : input.planner(projectObservation(obs, input.event));
  return {
    minutes: input.minutes,
    event: input.event ?? null,
    planned: moves.map((m) => ({ workloadId: m.workloadId, from: m.from, to: m.to, gpus: m.gpus, reason: m.reason })),
    withPlan: await play(scenario, obs, specs, input.minutes, moves),
    doNothing: await play(scenario, obs, specs, input.minutes, []),
    notes: [
      'a simulation on the twin (sim/), seeded from the observation: regions, links, running work and health',
      `${moves.length} move(s) made at ${FIRST_PASS_S} s, the instant before the event; no new work arrives in the projection`,
    ],
  };
};
