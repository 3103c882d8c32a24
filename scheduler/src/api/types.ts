/** What the HTTP API needs from the scheduler (kept narrow so the API has no import of the loop). */
import type { Registry } from 'prom-client';
import type { Assessment } from '../assess/assess.js';
import type { Observation } from '../observe/observation.js';
import type { Plan } from '../plan/types.js';
import type { DecisionFilter } from '../record/decisions-query.js';
import type { DecisionRecord } from '../record/sinks.js';
import type { WhatIfRequest, WhatIfResult } from './whatif.js';

export type Role = 'viewer' | 'operator';

export interface ApiToken {
  readonly name: string;
  readonly role: Role;
  /** The token itself; kept only as its digest once the API is built. */
  readonly secret: string;
}

/** What the API needs from the scheduler (kept narrow so the API has no import of the loop). */
export interface ApiBackend {
  readonly paused: boolean;
  /** config placement.steer */
  readonly steering: boolean;
  state(): {
    observation: Observation | null;
    assessment: Assessment | null;
    paused: boolean;
    lastPassTs: number | null;
    lastPassMs: number | null;
    lastError: string | null;
    inFlight: readonly unknown[];
  };
  currentPlan(): { plan: Plan | null; pending: { createdTs: number; expiresTs: number } | null };
  queryDecisions(f: DecisionFilter): Promise<readonly DecisionRecord[]>;
  alerts(): readonly unknown[];
  /** The latest placement weights for new work and what became of them; null before the first. */
  placement(): {
    readonly passId: string;
    readonly ts: number;
    readonly weights: ReadonlyMap<string, number>;
    readonly outcome: string;
    readonly executor: string;
    readonly hold: string | null;
  } | null;
  approve(passId: string, by: string): Promise<{ executed: readonly unknown[] }>;
  reject(passId: string, by: string): Promise<void>;
  rebalanceNow(
    fresh: boolean,
  ): Promise<{ passId: string; executed: readonly unknown[]; decisions: readonly unknown[] }>;
  pause(by: string): void;
  resume(by: string): void;
  readonly metrics: { readonly registry: Registry };
  /** POST /api/v1/whatif; absent when no what-if engine was injected (the route answers 501). */
  readonly whatIf?: (req: WhatIfRequest) => Promise<WhatIfResult>;
}
