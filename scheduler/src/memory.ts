/**
 * What the scheduler remembers between passes: hysteresis states, when regions went silent, each
 * job's move history (cooldown and A→B→A detection), failure backoff, and moves in flight awaiting
 * verification. Plain JSON-able data, so a replay can start from a snapshot and compare.
 */
import type { Move } from './act/executor.js';
import { INITIAL, type HysteresisState } from './assess/hysteresis.js';

export interface RegionMemory {
  load: HysteresisState;
  throttle: HysteresisState;
  errors: HysteresisState;
  /** Allocated share above the fleet's (see config `balance`). */
  balance: HysteresisState;
  /** Allocated share below the fleet's (the same band): a hole that work above the share may fill. */
  deficit?: HysteresisState;
  /** When the region's data first went stale without recovering since; null while fresh. */
  staleSince: number | null;
}

export interface MoveRecord {
  readonly ts: number;
  readonly from: string;
  readonly to: string;
}

export interface JobMemory {
  moves: MoveRecord[];
  /** Consecutive failed or unhelpful moves; reset by a verified one. */
  failures: number;
  /** Backoff: no new move for this job before this instant. */
  notBefore: number;
}

export interface InFlightMove {
  readonly move: Move;
  readonly decisionId: string;
  readonly startedTs: number;
  /** Allocated GPUs in the destination before the move: a partial (replica) move is verified by the rise. */
  readonly destAllocatedBefore: number;
  readonly expectedDurationMs: number;
}

export interface SchedulerMemory {
  regions: Record<string, RegionMemory>;
  /** Keyed by the unordered region pair "a|b". */
  links: Record<string, HysteresisState>;
  jobs: Record<string, JobMemory>;
  inFlight: InFlightMove[];
  /** Timestamps of executed moves, for the hourly limit. */
  recentMoves: number[];
}

/**
 * The moves in flight the observation does not yet show landed (the workload is not seen in its
 * destination): their GPUs are still counted in the source, and belong where they are going.
 */
export function unlandedMoves(mem: SchedulerMemory, byId: ReadonlyMap<string, { readonly region: string }>): Move[] {
  return mem.inFlight.filter((f) => byId.get(f.move.workloadId)?.region !== f.move.to).map((f) => f.move);
}

export function emptyMemory(): SchedulerMemory {
  return { regions: {}, links: {}, jobs: {}, inFlight: [], recentMoves: [] };
}

export function regionMemory(mem: SchedulerMemory, region: string): RegionMemory {
  let r = mem.regions[region];
  if (!r) {
    r = { load: INITIAL, throttle: INITIAL, errors: INITIAL, balance: INITIAL, staleSince: null };
    mem.regions[region] = r;
  }
  // A snapshot taken before the balance signal existed starts it from the normal level.
  r.balance ??= INITIAL;
  return r;
}

export function jobMemory(mem: SchedulerMemory, id: string): JobMemory {
  let j = mem.jobs[id];
  if (!j) {
    j = { moves: [], failures: 0, notBefore: 0 };
    mem.jobs[id] = j;
  }
  return j;
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

const NO_HISTORY: JobMemory = Object.freeze({ moves: [], failures: 0, notBefore: 0 }) as JobMemory;

/** A job's memory without creating one: planning reads, only acting writes. */
export function peekJob(mem: SchedulerMemory, id: string): Readonly<JobMemory> {
  return mem.jobs[id] ?? NO_HISTORY;
}

/**
 * Forgets jobs with nothing left to remember (no move inside the cooldown or flap window, no
 * failures, no backoff), so memory tracks recent movers, not every job ever seen.
 */
export function pruneJobs(mem: SchedulerMemory, now: number, keepMs: number): void {
  for (const [id, j] of Object.entries(mem.jobs)) {
    j.moves = j.moves.filter((m) => now - m.ts < keepMs);
    if (j.moves.length === 0 && j.failures === 0 && j.notBefore <= now) delete mem.jobs[id];
  }
}
