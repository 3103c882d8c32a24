/**
 * What every part of the twin shares: the fabric and its routes, the workload table, the queue and
 * the running set, the statistics, and the clock of the tick being computed. The concerns (events,
 * arrivals, placement, moves, load, rows) each read and change this one object, so their order in
 * `Twin.step()` alone decides the outcome, as it did when they were one class.
 */
import type { TableRows } from '@meridian/store';
import type { Fabric } from '../fabric.js';
import type { Routes } from '../network.js';
import type { Scenario } from '../scenario.js';
import type { Workload } from '../workloads.js';

export interface TwinStats {
  arrived: number;
  started: number;
  completed: number;
  failed: number;
  /** Sum over completed workloads of (end − arrival), simulated seconds. */
  completionS: number;
  /** Sum over started workloads of (start − arrival), simulated seconds. */
  queueS: number;
  /** Seconds during which an inference service's estimated p99 exceeded its SLO, summed over services. */
  sloViolationS: number;
  moves: number;
  /** Gangs a failure stopped that the scheduler resubmitted to another region (not migrations). */
  resubmitted: number;
  movesFailed: number;
  bytesMoved: number;
}

/** The rows a workload is stated by; WorkloadRows builds them. */
export type WorkloadRow = TableRows['workloads'];

export class TwinState {
  readonly workloads: Workload[] = [];
  readonly byId = new Map<string, Workload>();
  /** Arrived and not placed yet, in arrival order (FIFO with backfill). */
  queue: Workload[] = [];
  readonly running = new Set<Workload>();
  readonly stats: TwinStats = {
    arrived: 0,
    started: 0,
    completed: 0,
    failed: 0,
    completionS: 0,
    queueS: 0,
    sloViolationS: 0,
    moves: 0,
    resubmitted: 0,
    movesFailed: 0,
    bytesMoved: 0,
  };
  /** Simulated seconds since start (the end of the last tick). */
  timeS = 0;
  /** Epoch ms the rows of the tick being computed are stamped with. */
  tickTs: number;
  /** Human-readable notes of this tick (events, failures, moves), for the status view. */
  notes: string[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly fabric: Fabric,
    readonly routes: Routes,
    readonly startMs: number,
  ) {
    this.tickTs = startMs;
  }

  get tickS(): number {
    return this.scenario.tick;
  }

  regionName(i: number): string {
    return this.fabric.regions[i]?.name ?? '';
  }
}
