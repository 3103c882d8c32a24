/**
 * The scheduler's HTTP API (fastify), used by the Grafana app: state, plan, decisions and alerts for
 * viewers; approve/reject, rebalance now and pause/resume for operators. Bearer tokens are compared
 * as SHA-256 digests with crypto.timingSafeEqual, so the comparison takes the same time whatever the
 * token's length or content. Every body is validated by JSON schema; /metrics, /healthz and
 * /openapi.json need no token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Assessment } from '../assess/assess.js';
import type { Observation } from '../observe/observation.js';
import type { Plan } from '../plan/types.js';
import type { DecisionFilter } from '../record/decisions-query.js';
import type { DecisionRecord } from '../record/sinks.js';
import { weightsObject } from '../act/executor.js';

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
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: { name: string; role: Role };
  }
}

interface Digest {
  readonly name: string;
  readonly role: Role;
  readonly digest: Buffer;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Finds the token's owner; every stored digest is compared, so timing does not reveal which matched. */
export function authenticate(
  header: string | undefined,
  digests: readonly Digest[],
): { name: string; role: Role } | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  const given = sha256(m[1] as string);
  let found: Digest | null = null;
  for (const d of digests) if (timingSafeEqual(given, d.digest) && !found) found = d;
  return found ? { name: found.name, role: found.role } : null;
}

const passIdBody = {
  type: 'object',
  required: ['passId'],
  additionalProperties: false,
  properties: {
    passId: { type: 'string', minLength: 1, maxLength: 128 },
    comment: { type: 'string', maxLength: 1000 },
  },
} as const;

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export async function buildApi(backend: ApiBackend, tokens: readonly ApiToken[]): Promise<FastifyInstance> {
  const digests: Digest[] = tokens.map((t) => ({ name: t.name, role: t.role, digest: sha256(t.secret) }));
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Meridian scheduler API',
        version: '0.1.0',
        description: 'State, plans, decisions and controls of the feedback rebalancer.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.setErrorHandler(
    (err: { statusCode?: number; validation?: unknown; message: string; code?: string }, _req, reply) => {
      const status = err.statusCode ?? 500;
      if (err.validation) return reply.code(400).send({ error: 'bad_request', message: err.message });
      if (status >= 400 && status < 500) return reply.code(status).send({ error: 'bad_request', message: err.message });
      return reply.code(500).send({ error: 'internal', message: 'internal error' });
    },
  );

  const guard = (role: Role) => async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = authenticate(req.headers.authorization, digests);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer realm="meridian-scheduler"');
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
    }
    if (role === 'operator' && caller.role !== 'operator') {
      return reply
        .code(403)
        .send({ error: 'forbidden', message: `token "${caller.name}" has role viewer; this route needs operator` });
    }
    req.caller = caller;
  };
  const viewer = guard('viewer');
  const operator = guard('operator');
  const secured = {
    security: [{ bearer: [] }],
    response: { 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema },
  };

  app.get('/healthz', { schema: { security: [], summary: 'Liveness and the last pass' } }, async () => {
    const s = backend.state();
    return {
      status: s.lastError ? 'degraded' : 'ok',
      paused: s.paused,
      lastPassTs: s.lastPassTs,
      lastError: s.lastError,
    };
  });

  app.get('/metrics', { schema: { security: [], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.header('content-type', backend.metrics.registry.contentType);
    return backend.metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

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
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            workload: { type: 'string', maxLength: 256 },
            action: { type: 'string', enum: ['move', 'hold', 'verify', 'place'] },
            region: { type: 'string', maxLength: 64 },
            outcome: { type: 'string', maxLength: 64 },
            since: { type: 'integer', minimum: 0 },
          },
        },
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

  await app.ready();
  return app;
}

export interface RunningApi {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export async function startApi(
  backend: ApiBackend,
  opts: { host: string; port: number; tokens: readonly ApiToken[] },
): Promise<RunningApi> {
  const app = await buildApi(backend, opts.tokens);
  const address = await app.listen({ host: opts.host, port: opts.port });
  return { url: address, app, close: () => app.close() };
}
