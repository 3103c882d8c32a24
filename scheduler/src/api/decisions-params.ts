/**
 * The query parameters of `GET /api/v1/decisions`, as a JSON schema with bounds: a value out of them,
 * or not an integer, is a 400 that names the parameter (fastify's validation message starts with
 * `querystring/<name>`). The bounds keep every value inside the types the store binds it to:
 * `offset` and `limit` are UInt32 (a larger offset would wrap, to 0 at 2^32), `since` an Int64 of
 * milliseconds turned into a DateTime64, whose range ends at 2299-12-31.
 */

/** Milliseconds since the epoch of 2299-12-31T23:59:59.999Z, the last instant a DateTime64 holds. */
export const SINCE_MAX = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
/** UInt32's largest value: the SQL binds OFFSET as UInt32. */
export const OFFSET_MAX = 4_294_967_295;
export const LIMIT_MAX = 1000;

export const decisionsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: LIMIT_MAX, default: 100, description: 'rows per page' },
    offset: { type: 'integer', minimum: 0, maximum: OFFSET_MAX, default: 0, description: 'rows to skip' },
    workload: { type: 'string', maxLength: 256 },
    action: { type: 'string', enum: ['move', 'hold', 'verify', 'place'] },
    region: { type: 'string', maxLength: 64 },
    outcome: { type: 'string', maxLength: 64 },
    since: {
      type: 'integer',
      minimum: 0,
      maximum: SINCE_MAX,
      description: 'milliseconds since the epoch (UTC): decisions at or after it',
    },
  },
} as const;
