/**
 * The API's routes: state, plan, decisions, placement and alerts for viewers; approve/reject,
 * rebalance now and pause/resume for operators. Every body and query is validated by JSON schema.
 */
import type { FastifyInstance } from 'fastify';
import { weightsObject } from '../act/executor.js';
import type { DecisionFilter } from '../record/decisions-query.js';
import type { guards } from './auth.js';
import { decisionsQuery } from './decisions-params.js';
import type { ApiBackend } from './types.js';

type Guards = ReturnType<typeof guards>;

const passIdBody = {
  type: 'object',
  required: ['passId'],
  additionalProperties: false,
  properties: {
    passId: { type: 'string', minLength: 1, maxLength: 128 },
    comment: { type: 'string', maxLength: 1000 },
  },
} as const;

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

const secured = {
  security: [{ bearer: [] }],
  response: { 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema },
};

export function readRoutes(app: FastifyInstance, backend: ApiBackend, { viewer }: Guards): void {
  app.get(
    '/api/v1/state',
    { onRequest: viewer, schema: { ...secured, summary: 'Regions, links, workloads and health' } },
    async () => {
      const s = backend.state();
      return {
        paused: s.paused,
        lastPassTs: s.lastPassTs,
        lastPassMs: s.lastPassMs,
        lastError: s.lastError,
        observedAt: s.observation?.ts ?? null,
        regions: (s.observation?.regions ?? []).map((r) => ({
          ...r,
          assessment: s.assessment?.regions.get(r.region) ?? null,
        })),
        links: s.assessment ? [...s.assessment.links.values()] : [],
        rawLinks: s.observation?.links ?? [],
        workloads: s.observation?.workloads ?? [],
        inFlight: s.inFlight,
      };
    },
  );

  app.get(
    '/api/v1/plan',
    { onRequest: viewer, schema: { ...secured, summary: 'The plan awaiting approval, else the latest' } },
    async () => {
      const { plan, pending } = backend.currentPlan();
      return { plan, pending: pending !== null, expiresTs: pending?.expiresTs ?? null };
    },
  );

  app.get(
    '/api/v1/decisions',
    {
      onRequest: viewer,
      schema: {
        ...secured,
        summary: 'Audit trail, newest first, paged and filtered',
        querystring: decisionsQuery,
      },
    },
    async (req) => {
      const q = req.query as DecisionFilter;
      const rows = await backend.queryDecisions(q);
      return { limit: q.limit, offset: q.offset, decisions: rows };
    },
  );

  app.get(
    '/api/v1/placement',
    {
      onRequest: viewer,
      schema: {
        ...secured,
        summary:
          'Weights for where NEW work should start, by region (a region left out should take none), for an admission controller or Kueue to read',
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['steer', 'passId', 'ts', 'weights', 'outcome', 'executor', 'hold'],
            properties: {
              steer: { type: 'boolean', description: 'config placement.steer' },
              passId: { type: 'string', nullable: true },
              ts: { type: 'integer', nullable: true, description: 'ms since the epoch of the pass that set them' },
              weights: {
                type: 'object',
                nullable: true,
                additionalProperties: { type: 'number' },
                description: 'region → weight; {} when no region can take work; null before the first pass',
              },
              outcome: {
                type: 'string',
                nullable: true,
                description: 'set, unchanged, recorded (dry-run), not-set: <why>, failed: <error>',
              },
              executor: { type: 'string', nullable: true },
              hold: { type: 'string', nullable: true, description: 'a region making room for a queued gang' },
            },
          },
          401: errorSchema,
          403: errorSchema,
        },
      },
    },
    async () => {
      const p = backend.placement();
      return {
        steer: backend.steering,
        passId: p?.passId ?? null,
        ts: p?.ts ?? null,
        weights: p ? weightsObject(p.weights) : null,
        outcome: p?.outcome ?? null,
        executor: p?.executor ?? null,
        hold: p?.hold ?? null,
      };
    },
  );

  app.get('/api/v1/alerts', { onRequest: viewer, schema: { ...secured, summary: 'Alerts firing now' } }, async () => ({
    alerts: backend.alerts(),
  }));
}

export function controlRoutes(app: FastifyInstance, backend: ApiBackend, { operator }: Guards): void {
  app.post(
    '/api/v1/plan/approve',
    { onRequest: operator, schema: { ...secured, body: passIdBody, summary: 'Approve the pending plan' } },
    async (req, reply) => {
      const { passId } = req.body as { passId: string };
      try {
        const r = await backend.approve(passId, req.caller?.name ?? 'unknown');
        return { approved: passId, executed: r.executed.length };
      } catch (err) {
        return reply.code(409).send({ error: 'conflict', message: (err as Error).message });
      }
    },
  );

  app.post(
    '/api/v1/plan/reject',
    { onRequest: operator, schema: { ...secured, body: passIdBody, summary: 'Reject the pending plan' } },
    async (req, reply) => {
      const { passId } = req.body as { passId: string };
      try {
        await backend.reject(passId, req.caller?.name ?? 'unknown');
        return { rejected: passId };
      } catch (err) {
        return reply.code(409).send({ error: 'conflict', message: (err as Error).message });
      }
    },
  );

  app.post(
    '/api/v1/rebalance',
    {
      onRequest: operator,
      schema: {
        ...secured,
        summary: 'Run one pass now; fresh=true considers every unpinned workload',
        body: { type: 'object', additionalProperties: false, properties: { fresh: { type: 'boolean' } } },
      },
    },
    async (req, reply) => {
      if (backend.paused)
        return reply.code(409).send({ error: 'conflict', message: 'scheduler is paused; resume it first' });
      const fresh = (req.body as { fresh?: boolean } | undefined)?.fresh ?? false;
      const r = await backend.rebalanceNow(fresh);
      return { passId: r.passId, executed: r.executed.length, decisions: r.decisions.length };
    },
  );

  const reasonBody = {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', maxLength: 1000 } },
  } as const;
  app.post(
    '/api/v1/pause',
    { onRequest: operator, schema: { ...secured, body: reasonBody, summary: 'Kill switch: stop planning and acting' } },
    async (req) => {
      backend.pause(req.caller?.name ?? 'unknown');
      return { paused: true };
    },
  );
  app.post(
    '/api/v1/resume',
    { onRequest: operator, schema: { ...secured, body: reasonBody, summary: 'Resume planning and acting' } },
    async (req) => {
      backend.resume(req.caller?.name ?? 'unknown');
      return { paused: false };
    },
  );
}
