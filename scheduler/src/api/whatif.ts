/**
 * What-if before approving (issue 18): project the pending plan, or a hypothetical event, N minutes
 * forward on a twin seeded from what the scheduler last observed, against doing nothing.
 *
 * The scheduler does not import the twin (the twin imports the scheduler's types, so that would be a
 * cycle). It defines the contract here; whoever builds the scheduler beside a twin (`meridian up`,
 * the `meridian` CLI for `schedule --whatif`) injects an engine through `SchedulerOptions.whatIf`.
 * The scheduler supplies the engine with its observation, its pending moves and `planner`, its own
 * planning rules on a projected observation, so a projected region failure is answered with the
 * evacuation the real pass would make. Without an engine the route answers 501.
 */
import type { FastifyInstance } from 'fastify';
import type { Move } from '../act/executor.js';
import { assess } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { emptyMemory } from '../memory.js';
import type { Observation } from '../observe/observation.js';
import { plan } from '../plan/plan.js';
import type { PlanOptions } from '../plan/types.js';
import type { guards } from './auth.js';
import { errorSchema } from './routes.js';
import type { ApiBackend } from './types.js';

export type WhatIfEvent =
  | { readonly type: 'cooling_loss'; readonly region: string; readonly severity?: number }
  | { readonly type: 'region_failure'; readonly region: string }
  | { readonly type: 'link_cut'; readonly link: string };

export interface WhatIfRequest {
  /** Minutes to play forward (1–240). */
  readonly minutes: number;
  /** The pending plan's moves, or (absent) what the planner would do after the event. */
  readonly usePendingPlan?: boolean;
  readonly event?: WhatIfEvent;
}

export interface WhatIfOutcome {
  /** Inference SLO minutes (as the quality bench counts them). */
  readonly sloMinutes: number;
  /** Mean wait in the queue of the work that started, seconds. */
  readonly queueSeconds: number;
  /** Workloads still waiting at the end. */
  readonly queued: number;
  readonly moves: number;
  readonly bytesMoved: number;
}

export interface WhatIfResult {
  readonly minutes: number;
  readonly event: WhatIfEvent | null;
  /** The moves played: the pending plan's, or the planner's answer to the event. */
  readonly planned: readonly Pick<Move, 'workloadId' | 'from' | 'to' | 'gpus' | 'reason'>[];
  readonly withPlan: WhatIfOutcome;
  readonly doNothing: WhatIfOutcome;
  /** Says it is a simulation and what it assumed. */
  readonly notes: readonly string[];
}

export interface WhatIfInput extends WhatIfRequest {
  readonly observation: Observation;
  readonly pendingMoves: readonly Move[];
  /** The scheduler's own rules on an observation: the moves one pass would make. */
  readonly planner: (obs: Observation) => Move[];
}

export type WhatIfEngine = (input: WhatIfInput) => Promise<WhatIfResult>;

/** A bad request to the what-if (an unknown region or link): answered 400 with the field named. */
export class WhatIfError extends Error {}

/**
 * One pass of the scheduler's rules as if the condition had held long enough: a fresh memory (no
 * cooldowns) and no persistence, so the answer is what a pass makes once the event is seen.
 */
export function projectPlanner(cfg: SchedulerConfig, opts: PlanOptions = {}): (obs: Observation) => Move[] {
  const now: SchedulerConfig = {
    ...cfg,
    load: { ...cfg.load, persistSeconds: 0 },
    throttle: { ...cfg.throttle, persistSeconds: 0 },
    link: { ...cfg.link, persistSeconds: 0 },
  };
  return (obs) => {
    const memory = emptyMemory();
    const asmt = assess(obs, now, memory);
    return plan(obs, asmt, now, memory, opts).plan.moves.map((m) => m.move);
  };
}

/** The scheduler's side of a what-if: its fresh observation, pending moves and planner, bound to the engine. */
export function bindWhatIf(
  engine: WhatIfEngine,
  deps: {
    readonly observation: () => Promise<Observation>;
    readonly pendingMoves: () => readonly Move[];
    readonly planner: (obs: Observation) => Move[];
  },
): (req: WhatIfRequest) => Promise<WhatIfResult> {
  return async (req) => {
    const observation = await deps.observation();
    checkWhatIf(req, observation);
    return engine({ ...req, observation, pendingMoves: deps.pendingMoves(), planner: deps.planner });
  };
}

/** The regions and links a request names must exist: an error names the field. */
export function checkWhatIf(req: WhatIfRequest, obs: Observation): void {
  const e = req.event;
  if (!e) return;
  if ('region' in e && !obs.regions.some((r) => r.region === e.region))
    throw new WhatIfError(
      `event.region: no region "${e.region}"; give one of ${obs.regions.map((r) => r.region).join(', ')}`,
    );
  if ('link' in e) {
    const [a, b] = e.link.split('->');
    if (!a || !b || !obs.links.some((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a)))
      throw new WhatIfError(`event.link: no link "${e.link}"; write it as "from->to" between observed regions`);
  }
}

const eventSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['cooling_loss', 'region_failure', 'link_cut'] },
    region: { type: 'string', minLength: 1, maxLength: 63 },
    link: { type: 'string', minLength: 3, maxLength: 130 },
    severity: { type: 'number', minimum: 0, maximum: 1 },
  },
} as const;

export const whatIfBody = {
  type: 'object',
  required: ['minutes'],
  additionalProperties: false,
  properties: {
    minutes: { type: 'integer', minimum: 1, maximum: 240 },
    usePendingPlan: { type: 'boolean' },
    event: eventSchema,
  },
} as const;

/** The event's own fields: a cooling loss and a region failure name a region, a cut a link. */
export function eventShapeError(e: Record<string, unknown> | undefined): string | null {
  if (!e) return null;
  if ((e.type === 'cooling_loss' || e.type === 'region_failure') && typeof e.region !== 'string')
    return `body/event/region is required for ${String(e.type)}`;
  if (e.type === 'link_cut' && typeof e.link !== 'string') return 'body/event/link is required for link_cut';
  return null;
}

export function whatIfRoute(app: FastifyInstance, backend: ApiBackend, { operator }: ReturnType<typeof guards>): void {
  app.post(
    '/api/v1/whatif',
    {
      onRequest: operator,
      schema: {
        security: [{ bearer: [] }],
        summary:
          'Project the pending plan or a hypothetical event (cooling loss, region failure, link cut) N minutes forward on the twin, against doing nothing',
        body: whatIfBody,
        response: { 400: errorSchema, 401: errorSchema, 403: errorSchema, 501: errorSchema },
      },
    },
    async (req, reply) => {
      const body = req.body as WhatIfRequest;
      const shape = eventShapeError(body.event as Record<string, unknown> | undefined);
      if (shape) return reply.code(400).send({ error: 'bad_request', message: shape });
      if (!backend.whatIf)
        return reply.code(501).send({
          error: 'not_implemented',
          message: 'no what-if engine: this scheduler was started without the twin (meridian up wires one)',
        });
      try {
        return await backend.whatIf(body);
      } catch (err) {
        if (err instanceof WhatIfError) return reply.code(400).send({ error: 'bad_request', message: err.message });
        throw err;
      }
    },
  );
}
