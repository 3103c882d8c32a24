// The browser host: a stand-in for Grafana's app shell that loads the BUILT plugin the way Grafana
// does. Grafana's shared modules come from the real npm packages bundled here, the plugin's
// dist/module.js is fetched and evaluated as an AMD module whose dependencies are resolved from them,
// and Grafana's services the plugin calls (BackendSrv, the current user, the theme) are supplied.
import * as emotionCss from '@emotion/css';
import * as data from '@grafana/data';
import * as runtime from '@grafana/runtime';
import * as ui from '@grafana/ui';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactRouter from 'react-router';
import { BrowserRouter, Route, Routes, useNavigate } from 'react-router-dom';
import * as rxjs from 'rxjs';

const PLUGIN_ID = 'meridian-fabric-app';
const shared: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  'react/jsx-runtime': jsxRuntime,
  '@grafana/data': data,
  '@grafana/ui': ui,
  '@grafana/runtime': runtime,
  rxjs,
  'react-router': ReactRouter,
  '@emotion/css': emotionCss,
};

interface HostOptions {
  theme: 'dark' | 'light';
  permissions: string[];
  jsonData: Record<string, string>;
  datasources: Array<{ uid: string; name: string; type: string }>;
}
declare global {
  interface Window {
    __HOST__: HostOptions;
    __nav?: (url: string) => void;
    define?: ((deps: string[], factory: (...args: unknown[]) => unknown) => void) & { amd?: boolean };
  }
}

/** A minimal AMD loader: one anonymous define() per script, dependencies from the shared modules. */
function loadAmd(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const define = (deps: string[], factory: (...args: unknown[]) => unknown) => {
      const exports: Record<string, unknown> = {};
      try {
        const args = deps.map((d) => {
          if (d === 'module') return { id: url, uri: url };
          if (d === 'exports') return exports;
          if (!(d in shared)) throw new Error(`module.js asks for "${d}", which Grafana does not share`);
          return shared[d];
        });
        const out = factory(...args);
        resolve((out as Record<string, unknown>) ?? exports);
      } catch (e) {
        reject(e);
      }
    };
    define.amd = true;
    window.define = define;
    const script = document.createElement('script');
    script.src = url;
    script.onerror = () => reject(new Error(`cannot load ${url}`));
    document.head.appendChild(script);
  });
}

/** One request: an Observable that errors with a FetchError-shaped object. */
function fetchObservable(options: runtime.BackendSrvRequest) {
  return new rxjs.Observable<runtime.FetchResponse<unknown>>((sub) => {
    const url = new URL(options.url, `${location.origin}/`);
    for (const [k, v] of Object.entries((options.params ?? {}) as Record<string, unknown>))
      url.searchParams.set(k, String(v));
    const method = options.method ?? 'GET';
    fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' || options.data === undefined ? undefined : JSON.stringify(options.data),
    })
      .then(async (res) => {
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : {};
        } catch {
          /* text */
        }
        if (!res.ok) return sub.error({ status: res.status, statusText: res.statusText, data: body, config: options });
        sub.next({
          data: body,
          status: res.status,
          statusText: res.statusText,
          ok: true,
          headers: res.headers,
          redirected: false,
          type: 'basic',
          url: url.toString(),
          config: options,
        });
        sub.complete();
      })
      .catch((e) => sub.error({ status: 0, statusText: String(e), data: {}, config: options }));
  });
}

const isLocalUrl = (url: string) => !/^https?:\/\//.test(url);

/**
 * Grafana's BackendSrv.fetch (public/app/core/services/backend_srv.ts): `retry` defaults to 0, and a
 * 401 on a Grafana URL at the first attempt is taken for the user's session: Grafana pings
 * /api/login/ping (or rotates the session) and repeats the request, logging out if the ping fails.
 */
function backendSrvFetch(options: runtime.BackendSrvRequest) {
  const opts = { ...options, retry: options.retry ?? 0 };
  return fetchObservable(opts).pipe(
    rxjs.catchError((err: { status?: number }) => {
      if (err.status === 401 && isLocalUrl(opts.url) && opts.retry === 0) {
        return rxjs.from(fetch('/api/login/ping')).pipe(rxjs.mergeMap(() => fetchObservable({ ...opts, retry: 1 })));
      }
      return rxjs.throwError(() => err);
    }),
  );
}

function Navigator() {
  const navigate = useNavigate();
  window.__nav = (url: string) => navigate(url);
  return null;
}

async function main() {
  const opts = window.__HOST__;
  const theme = data.createTheme({ colors: { mode: opts.theme } });
  const backendSrv = { fetch: backendSrvFetch } as unknown as runtime.BackendSrv;
  runtime.setBackendSrv(backendSrv);
  // The data source picker on the config page lists Grafana's data sources through DataSourceSrv.
  const dsList = opts.datasources.map((d) => ({
    ...d,
    id: 1,
    meta: { id: d.type, name: 'ClickHouse', info: { logos: {} } },
  }));
  runtime.setDataSourceSrv({
    getList: (filters?: { type?: string | string[] }) =>
      dsList.filter((d) => !filters?.type || [filters.type].flat().includes(d.type)),
    getInstanceSettings: (ref?: string | { uid?: string } | null) =>
      dsList.find((d) => d.uid === (typeof ref === 'string' ? ref : ref?.uid)),
    get: () => Promise.reject(new Error('the host serves no data source instances')),
    reload: () => Promise.resolve(),
    registerRuntimeDataSource: () => undefined,
  } as unknown as Parameters<typeof runtime.setDataSourceSrv>[0]);
  runtime.setCurrentUser({
    id: 1,
    login: opts.permissions.includes(`${PLUGIN_ID}.scheduler:write`) ? 'operator' : 'viewer',
    permissions: Object.fromEntries(opts.permissions.map((p) => [p, true])),
  } as unknown as Parameters<typeof runtime.setCurrentUser>[0]);

  const mod = await loadAmd(`/public/plugins/${PLUGIN_ID}/module.js`);
  const plugin = mod.plugin as data.AppPlugin;
  const meta = {
    id: PLUGIN_ID,
    name: 'Meridian Fabric',
    type: 'app',
    enabled: true,
    pinned: true,
    jsonData: opts.jsonData,
    secureJsonFields: { schedulerToken: true },
  };
  plugin.meta = meta as unknown as data.AppPluginMeta;
  const Root = plugin.root as React.ComponentType<Record<string, unknown>>;
  const Config = plugin.configPages?.[0]?.body as React.ComponentType<Record<string, unknown>> | undefined;

  document.body.style.margin = '0';
  createRoot(document.getElementById('root')!).render(
    <data.ThemeContext.Provider value={theme}>
      <ui.GlobalStyles />
      <div style={{ padding: theme.spacing(2), minHeight: '100vh', background: theme.colors.background.canvas }}>
        <BrowserRouter>
          <Navigator />
          <React.Suspense fallback={<div>Loading plugin…</div>}>
            <Routes>
              <Route
                path={`/a/${PLUGIN_ID}/*`}
                element={
                  <Root
                    meta={meta}
                    basename={`/a/${PLUGIN_ID}`}
                    path={`/a/${PLUGIN_ID}`}
                    query={{}}
                    onNavChanged={() => undefined}
                  />
                }
              />
              {Config && <Route path={`/plugins/${PLUGIN_ID}`} element={<Config plugin={plugin} query={{}} />} />}
            </Routes>
          </React.Suspense>
        </BrowserRouter>
      </div>
    </data.ThemeContext.Provider>,
  );
}

main().catch((e: unknown) => {
  document.body.textContent = `host failed: ${e instanceof Error ? e.stack : String(e)}`;
});
