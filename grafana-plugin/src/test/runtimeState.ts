/** State the @grafana/runtime mock reads, which tests change: the signed-in user's RBAC actions. */
const VIEWER = ['plugins.app:access', 'meridian-fabric-app.fabric:read', 'meridian-fabric-app.scheduler:read'];

export const runtimeState = {
  permissions: new Set<string>(VIEWER),
  /** Times BackendSrv took a 401 for the user's session (login ping / token rotation, then a retry). */
  sessionChecks: 0,
};

export function grant(...actions: string[]) {
  for (const a of actions) runtimeState.permissions.add(a);
}

export function resetPermissions() {
  runtimeState.permissions = new Set(VIEWER);
  runtimeState.sessionChecks = 0;
}

/** Grafana's base URL in tests: relative API URLs resolve against it so MSW can answer them. */
export const GRAFANA_URL = 'http://grafana.test';
