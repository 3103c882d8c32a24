/** Why a page could not show its data, so the page can tell the SRE what to do next. */
export type FailureKind =
  | 'permission'
  | 'not-configured'
  | 'unreachable'
  | 'query'
  | 'not-found'
  /** The scheduler refused the token the app's routes send (missing, wrong, or revoked). */
  | 'scheduler-token'
  /** /api/ds/query found no data source with the configured uid. */
  | 'datasource-missing';

export class DataError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

interface FetchErrorLike {
  status?: number;
  statusText?: string;
  data?: { message?: string; error?: string } | string;
}

function isFetchErrorLike(e: unknown): e is FetchErrorLike {
  return typeof e === 'object' && e !== null && ('status' in e || 'data' in e);
}

/** Turns what getBackendSrv().fetch throws (a FetchError object, not an Error) into a DataError. */
export function toDataError(e: unknown, what: string): DataError {
  if (e instanceof DataError) return e;
  if (isFetchErrorLike(e)) {
    const status = e.status ?? 0;
    const body = e.data;
    const detail = typeof body === 'string' ? body : (body?.message ?? body?.error ?? e.statusText ?? '');
    if (status === 401 || status === 403)
      return new DataError('permission', `${what}: permission denied${detail ? ` (${detail})` : ''}`, status);
    if (status === 404) return new DataError('not-found', `${what}: not found${detail ? ` (${detail})` : ''}`, status);
    // Grafana's proxy answers 502 (no connection) and 504 (timed out) with an empty body: say which,
    // and keep a message when a body brings one.
    const said = typeof body === 'string' ? body : (body?.message ?? body?.error ?? '');
    if (status === 502 || status === 503 || status === 504) {
      const why = status === 504 ? ': no answer in time' : '';
      return new DataError('unreachable', `${what}: cannot be reached (${said || `HTTP ${status}`})${why}`, status);
    }
    if (status === 0)
      return new DataError('unreachable', `${what}: cannot be reached${detail ? ` (${detail})` : ''}`, status);
    return new DataError('query', `${what} failed with HTTP ${status}${detail ? `: ${detail}` : ''}`, status);
  }
  return new DataError('query', `${what} failed: ${e instanceof Error ? e.message : String(e)}`);
}
