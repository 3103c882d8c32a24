import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { SCHEDULER_PROXY } from '../constants';
import { toDataError } from './errors';

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

async function get<T>(path: string, params?: Record<string, string | number>): Promise<T> {
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<T>({ url: `${SCHEDULER_PROXY}/${path}`, method: 'GET', params, showErrorAlert: false }),
    );
    return r.data;
  } catch (e) {
    throw toDataError(e, 'Scheduler API');
  }
}

async function post<T>(path: string, data: unknown): Promise<T> {
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<T>({ url: `${SCHEDULER_PROXY}/${path}`, method: 'POST', data, showErrorAlert: false }),
    );
    return r.data;
  } catch (e) {
    throw toDataError(e, 'Scheduler API');
  }
}

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
