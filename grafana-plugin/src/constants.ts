import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

/** Route segments under /a/meridian-fabric-app/. Relative, as react-router v6 inside AppRootProps wants. */
export enum ROUTES {
  Overview = 'overview',
  Regions = 'regions',
  Gpus = 'gpus',
  Links = 'links',
  Scheduler = 'scheduler',
}

/** RBAC actions declared in plugin.json `roles`; the UI hides what the user may not do. */
export const ACTIONS = {
  fabricRead: `${PLUGIN_ID}.fabric:read`,
  schedulerRead: `${PLUGIN_ID}.scheduler:read`,
  schedulerWrite: `${PLUGIN_ID}.scheduler:write`,
} as const;

/** Where the scheduler's HTTP API is reached: through the plugin.json routes, never directly. */
export const SCHEDULER_PROXY = `api/plugin-proxy/${PLUGIN_ID}`;

export const CLICKHOUSE_DS_TYPE = 'grafana-clickhouse-datasource';

export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}
