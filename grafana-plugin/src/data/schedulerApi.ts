import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { SCHEDULER_PROXY } from '../constants';
import { DataError, toDataError } from './errors';

/**
 * Typed client for `meridian schedule`'s HTTP API, reached only through the plugin.json routes
 * (api/plugin-proxy/meridian-fabric-app/...), which add the bearer token server-side. Every path the
 * app uses is in this file, so it and plugin.json's routes are the whole contract.
 */

/** GET /api/v1/state (the parts the app shows). */
export interface SchedulerState {
  paused: boolean;
  lastPassTs: number | null;
  lastError: string | null;
  observedAt?: number | null;
}

/** One move of a plan, as scheduler/src/executor.ts's Move contract names it. */
export interface Move {
  moveId: string;
  workloadId: string;
  from: string;
  to: string;
  gpus: number;
  reason: string;
  commClass?: string;
}

export interface PlannedMove {
  move: Move;
  benefit: number;
  cost: number;
  trigger: string;
  evacuate?: boolean;
  limits?: string[];
}

/** A move the planner considered and refused, with why: shown so "nothing moved" is explained. */
export interface Rejection {
  workloadId: string;
  from: string;
  to: string;
  reason: string;
  detail: string;
  benefit: number;
  cost: number;
}

export interface Plan {
  passId: string;
  ts: number;
  moves: PlannedMove[];
  rejected?: Rejection[];
}

/** GET /api/v1/plan: the plan awaiting approval (pending), else the latest. */
export interface PlanResponse {
  plan: Plan | null;
  pending: boolean;
  expiresTs: number | null;
}

/** One audit row, as scheduler_decisions stores it (store/src/schema/aux.ts DecisionRow). */
export interface Decision {
  ts: string | number;
  decision_id: string;
  pass_id?: string;
  workload_id: string;
  action: string;
  region_from: string;
  region_to: string;
  reason: string;
  /** JSON text (or an already-parsed object) of what the decision saw. */
  inputs?: string | Record<string, unknown>;
  scores?: string | Record<string, unknown>;
  limits?: string[];
  executor?: string;
  outcome: string;
  benefit?: number;
  cost?: number;
}

/** A firing alert, labelled as it is sent to Alertmanager. */
/** What POST /api/v1/whatif answers (scheduler/src/api/whatif.ts). */
export interface WhatIfOutcome {
  sloMinutes: number;
  queueSeconds: number;
  queued: number;
  moves: number;
  bytesMoved: number;
}
export interface WhatIfResult {
  minutes: number;
  event: { type: string; region?: string; link?: string } | null;
  planned: Array<{ workloadId: string; from: string; to: string; gpus: number }>;
  withPlan: WhatIfOutcome;
  doNothing: WhatIfOutcome;
  notes: string[];
}

export interface Alert {
  labels: { alertname: string; severity: string; region_from?: string; region_to?: string; workload_class?: string };
  summary: string;
  startsAt: string;
}

export interface DecisionPage {
  limit: number;
  offset: number;
  decisions: Decision[];
}

/** The scheduler's own 401 body (scheduler/src/api/auth.ts): its token check failed, not the user's session. */
function isSchedulerAuthFailure(e: unknown): boolean {
  const err = e as { status?: number; data?: { error?: unknown } };
  return err?.status === 401 && err.data?.error === 'unauthorized';
}

/**
 * One call through the plugin routes. `retry: 1` tells Grafana's BackendSrv that this is not a first
 * attempt, as its own login ping and token rotation do: a 401 on a Grafana URL is otherwise taken for
 * the user's session expiring (it pings /api/login/ping or rotates the session, then repeats the
 * request, and logs the user out if the ping fails). The scheduler answers 401 for a wrong token in
 * the app's settings, which is not the user's session. Any other 401 (Grafana's own, the session
 * really expired) is sent once more without it, so Grafana's session handling runs as usual.
 */
async function call<T>(method: 'GET' | 'POST', path: string, params?: Record<string, string | number>, data?: unknown) {
  const once = (retry: number | undefined) =>
    lastValueFrom(
      getBackendSrv().fetch<T>({
        url: `${SCHEDULER_PROXY}/${path}`,
        method,
        ...(params ? { params } : {}),
        ...(data !== undefined ? { data } : {}),
        showErrorAlert: false,
        ...(retry !== undefined ? { retry } : {}),
      }),
    );
  try {
    try {
      return (await once(1)).data;
    } catch (e) {
      if ((e as { status?: number })?.status === 401 && !isSchedulerAuthFailure(e)) return (await once(undefined)).data;
      throw e;
    }
  } catch (e) {
    if (isSchedulerAuthFailure(e)) {
      throw new DataError(
        'scheduler-token',
        'The scheduler token is wrong: the scheduler refused the token in the Meridian app configuration',
        401,
      );
    }
    throw toDataError(e, 'Scheduler API');
  }
}

const get = <T>(path: string, params?: Record<string, string | number>) => call<T>('GET', path, params);
const post = <T>(path: string, data: unknown) => call<T>('POST', path, undefined, data);

export const schedulerApi = {
  state: () => get<SchedulerState>('api/v1/state'),
  plan: () => get<PlanResponse>('api/v1/plan'),
  decisions: (opts: { limit: number; offset: number; region?: string }) =>
    get<DecisionPage>('api/v1/decisions', {
      limit: opts.limit,
      offset: opts.offset,
      ...(opts.region ? { region: opts.region } : {}),
    }),
  alerts: () => get<{ alerts: Alert[] }>('api/v1/alerts').then((r) => r.alerts),
  approve: (passId: string) => post<{ approved: string; executed: number }>('api/v1/plan/approve', { passId }),
  reject: (passId: string) => post<{ rejected: string }>('api/v1/plan/reject', { passId }),
  rebalanceNow: () => post<{ passId: string; executed: number; decisions: number }>('api/v1/rebalance', {}),
  pause: () => post<{ paused: boolean }>('api/v1/pause', { reason: 'paused in Grafana' }),
  resume: () => post<{ paused: boolean }>('api/v1/resume', { reason: 'resumed in Grafana' }),
  /** A plan's or a hypothetical event's projected effect against doing nothing (operators). */
  whatIf: (body: object) => post<WhatIfResult>('api/v1/whatif', body),
  /** The config page's connection test: a token-checked read, so a wrong token fails it. */
  health: () => get<SchedulerState>('api/v1/state'),
};

/** Decision inputs and scores arrive as JSON text from the audit table; show them as objects. */
export function parseJsonField(v: string | Record<string, unknown> | undefined): Record<string, unknown> {
  if (!v) return {};
  if (typeof v !== 'string') return v;
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { raw: v };
  }
}
