/**
 * Bearer tokens, compared as SHA-256 digests with crypto.timingSafeEqual, so the comparison takes the
 * same time whatever the token's length or content; a role per token (viewer, operator).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: { name: string; role: Role };
  }
}

export interface Digest {
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

export const digestsOf = (tokens: readonly ApiToken[]): Digest[] =>
  tokens.map((t) => ({ name: t.name, role: t.role, digest: sha256(t.secret) }));

/**
 * onRequest hooks: the caller must hold a token, of the operator role for `operator`. A refused
 * request is answered at once and its connection closed, so a client without a token cannot keep
 * it open by sending a body slowly.
 */
export function guards(digests: readonly Digest[]) {
  const guard = (role: Role) => async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = authenticate(req.headers.authorization, digests);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer realm="meridian-scheduler"');
      reply.header('connection', 'close');
      return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid bearer token' });
    }
    if (role === 'operator' && caller.role !== 'operator') {
      return reply
        .code(403)
        .send({ error: 'forbidden', message: `token "${caller.name}" has role viewer; this route needs operator` });
    }
    req.caller = caller;
  };
  return { viewer: guard('viewer'), operator: guard('operator') };
}
