/**
 * How Grafana's app-plugin proxy (pkg/api/pluginproxy/pluginproxy.go, HandleRequest) picks a route
 * for /api/plugin-proxy/<app>/<proxyPath>, for the route test and the browser test host:
 *  - routes are tried in plugin.json order; a route's `method`, when set and not `*`, must equal the
 *    request's method exactly (one method per route);
 *  - the path is matched by Grafana's web router tree: segments equal, `:name` stands for one
 *    segment, and only a trailing `*` matches the rest. Anything else is an exact match: the route
 *    `api/v1` does not cover `api/v1/state`;
 *  - the upstream URL is the route's `url` joined with what `*` matched (nothing for an exact route),
 *    the query string kept;
 *  - the first match decides: its `reqAction` (RBAC) or else `reqRole` must pass, or 403.
 * No imports, so the plugin's tests (jsdom) and the Node test host share it.
 */
export interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  reqAction?: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface RouteMatch {
  route: PluginRoute;
  /** What the route's `*` matched, appended to its URL ('' for an exact route). */
  rest: string;
}

/** The route path against a request path (no leading slash, no query), as Grafana's tree matches it. */
export function matchPath(pattern: string, path: string): { rest: string } | null {
  const p = pattern.replace(/^\//, '');
  const segs = p.split('/');
  const parts = path.replace(/^\//, '').split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '*' && i === segs.length - 1) return { rest: parts.slice(i).join('/') };
    const part = parts[i];
    if (part === undefined) return null;
    if (s.startsWith(':')) {
      if (part === '') return null;
      continue;
    }
    if (s !== part) return null;
  }
  return parts.length === segs.length ? { rest: '' } : null;
}

export function matchPluginRoute(routes: readonly PluginRoute[], method: string, path: string): RouteMatch | null {
  for (const route of routes) {
    if (route.method && route.method !== '*' && route.method !== method) continue;
    const m = matchPath(route.path, path);
    if (m) return { route, rest: m.rest };
  }
  return null;
}

const ROLE_RANK: Record<string, number> = { Viewer: 1, Editor: 2, Admin: 3 };

/** hasAccessToRoute: the route's action when it names one, else its role, else open. */
export function routeAllows(route: PluginRoute, user: { actions: readonly string[]; role: string }): boolean {
  if (route.reqAction) return user.actions.includes(route.reqAction);
  if (route.reqRole) return (ROLE_RANK[user.role] ?? 0) >= (ROLE_RANK[route.reqRole] ?? 99);
  return true;
}
