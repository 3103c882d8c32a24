/**
 * What one pass's accepted moves have used of the rate limits, the disruption budget and each
 * destination's headroom. The plan's own moves draw on it first, then the moves that make room for a
 * queued gang, so both are held to the same counts without either working them out again.
 */
export interface LedgerStart {
  /** Free GPUs in each region that may take work, before this pass's moves. */
  readonly headroom: ReadonlyMap<string, number>;
  /** Moves made in the last hour, before this pass. */
  readonly movesLastHour: number;
  /** GPUs of the moves still in flight. */
  readonly gpusInFlight: number;
  /** The most GPUs that may be migrating at once (limits.disruptionBudget × the fleet). */
  readonly budget: number;
}

export class PassLedger {
  /** Moves accepted this pass. */
  moves = 0;
  /** Moves in the last hour, this pass's included. */
  hourly: number;
  /** GPUs migrating once this pass's moves start: those in flight and this pass's. */
  disrupted: number;
  readonly budget: number;
  /** Headroom left in each destination once this pass's moves land. */
  readonly headroom: Map<string, number>;
  /** This pass's moves into or out of each region. */
  readonly perRegion = new Map<string, number>();

  constructor(start: LedgerStart) {
    this.headroom = new Map(start.headroom);
    this.hourly = start.movesLastHour;
    this.disrupted = start.gpusInFlight;
    this.budget = start.budget;
  }

  /** Books an accepted move of `gpus` GPUs from one region to another. */
  take(from: string, to: string, gpus: number): void {
    this.headroom.set(to, (this.headroom.get(to) ?? 0) - gpus);
    this.moves++;
    this.hourly++;
    this.disrupted += gpus;
    this.perRegion.set(from, (this.perRegion.get(from) ?? 0) + 1);
    this.perRegion.set(to, (this.perRegion.get(to) ?? 0) + 1);
  }

  /** Books a resubmission of stopped work (no move limit counts it): only the destination's headroom. */
  takeRoom(to: string, gpus: number): void {
    this.headroom.set(to, (this.headroom.get(to) ?? 0) - gpus);
  }

  /** A copy to try moves on that may be dropped (all-or-nothing groups). */
  clone(): PassLedger {
    const copy = new PassLedger({
      headroom: this.headroom,
      movesLastHour: this.hourly,
      gpusInFlight: this.disrupted,
      budget: this.budget,
    });
    copy.moves = this.moves;
    for (const [r, n] of this.perRegion) copy.perRegion.set(r, n);
    return copy;
  }
}
