/**
 * The scheduler's HTTP API (fastify), used by the Grafana app; the routes are in routes.ts, tokens
 * and roles in auth.ts. /metrics, /healthz and /openapi.json need no token. The node:http server
 * under it cuts off slow and idle clients (see ServerLimits), so a connection cannot be held open
 * without a token, and caps the connections open at once.
 */
import { boundedHttpServer, DEFAULT_LIMITS, type ServerLimits } from '@meridian/runtime';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { digestsOf, guards } from './auth.js';
import { controlRoutes, readRoutes } from './routes.js';
import { whatIfRoute } from './whatif.js';
import type { ApiBackend, ApiToken } from './types.js';

export { authenticate } from './auth.js';
export type { ApiBackend, ApiToken, Role } from './types.js';
export type { ServerLimits };

export async function buildApi(
  backend: ApiBackend,
  tokens: readonly ApiToken[],
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    serverFactory: (handler) => boundedHttpServer(handler, limits),
    // As fastify's own ("querystring/since must be integer"), and a property that is not allowed is
    // named too: ajv's message alone ("must NOT have additional properties") leaves it out.
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(
        errors
          .map((e) => {
            const extra = e.keyword === 'additionalProperties' ? `: "${String(e.params.additionalProperty)}"` : '';
            return `${dataVar}${e.instancePath} ${e.message ?? 'is not valid'}${extra}`;
          })
          .join(', '),
      ),
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

  const g = guards(digestsOf(tokens));
  readRoutes(app, backend, g);
  controlRoutes(app, backend, g);
  whatIfRoute(app, backend, g);
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
  opts: { host: string; port: number; tokens: readonly ApiToken[]; limits?: ServerLimits },
): Promise<RunningApi> {
  const app = await buildApi(backend, opts.tokens, opts.limits);
  const address = await app.listen({ host: opts.host, port: opts.port });
  return { url: address, app, close: () => app.close() };
}
