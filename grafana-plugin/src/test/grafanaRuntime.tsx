import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import React, { type ReactNode } from 'react';
import { catchError, Observable, throwError } from 'rxjs';
import { GRAFANA_URL, runtimeState } from './runtimeState';

/**
 * The one @grafana/runtime mock. The real package expects Grafana's app shell (its BackendSrv, boot
 * data and PluginPage are injected by Grafana at start-up), so tests supply those parts:
 *  - getBackendSrv().fetch() performs a real fetch() against GRAFANA_URL, answered by MSW handlers,
 *    and fails the way Grafana's FetchError does (an object with status and data, not an Error). As
 *    Grafana's BackendSrv does, a 401 on a Grafana URL with `retry` 0 (the default) is taken for the
 *    user's session: counted in runtimeState.sessionChecks (Grafana pings or rotates the session)
 *    and the request repeated once;
 *  - hasPermission() reads the actions the test granted;
 *  - PluginPage renders its children; DataSourcePicker is a plain select over the test data sources.
 */

export const config = {
  bootData: { user: { permissions: {} } },
  theme2: undefined,
  buildInfo: { version: '13.1.1' },
};

function fetchObservable<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  return new Observable<FetchResponse<T>>((subscriber) => {
    const url = new URL(options.url.replace(/^\//, ''), `${GRAFANA_URL}/`);
    for (const [k, v] of Object.entries((options.params ?? {}) as Record<string, unknown>))
      url.searchParams.set(k, String(v));
    const method = options.method ?? 'GET';
    fetch(url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: options.data === undefined || method === 'GET' ? undefined : JSON.stringify(options.data),
    })
      .then(async (res) => {
        const text = await res.text();
        let data: unknown = text;
        try {
          data = text ? JSON.parse(text) : {};
        } catch {
          /* keep text */
        }
        if (!res.ok) {
          subscriber.error({ status: res.status, statusText: res.statusText, data, config: options });
          return;
        }
        subscriber.next({
          data: data as T,
          status: res.status,
          statusText: res.statusText,
          ok: true,
          headers: res.headers,
          redirected: false,
          type: 'basic',
          url: url.toString(),
          config: options,
        });
        subscriber.complete();
      })
      .catch((e: unknown) => subscriber.error({ status: 0, statusText: String(e), data: {}, config: options }));
  });
}

/** BackendSrv.fetch: parseRequestOptions' `retry ?? 0` and handleStreamError's 401 session check. */
function backendSrvFetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  const opts = { ...options, retry: options.retry ?? 0 };
  const local = !/^https?:\/\//.test(opts.url);
  return fetchObservable<T>(opts).pipe(
    catchError((err: { status?: number }) => {
      if (err.status === 401 && local && opts.retry === 0) {
        runtimeState.sessionChecks++;
        return fetchObservable<T>({ ...opts, retry: 1 });
      }
      return throwError(() => err);
    }),
  );
}

export function getBackendSrv() {
  return { fetch: backendSrvFetch };
}

export function hasPermission(action: string): boolean {
  return runtimeState.permissions.has(action);
}

export function PluginPage({ children }: { children?: ReactNode }) {
  return <div data-testid="plugin-page">{children}</div>;
}

export const TEST_DATASOURCES = [
  { uid: 'ch-meridian', name: 'Meridian ClickHouse', type: 'grafana-clickhouse-datasource' },
  { uid: 'ch-other', name: 'Other ClickHouse', type: 'grafana-clickhouse-datasource' },
];

export function DataSourcePicker(props: {
  current: string | null;
  onChange: (ds: { uid: string; name: string; type: string }) => void;
}) {
  return (
    <select
      aria-label="ClickHouse data source"
      value={props.current ?? ''}
      onChange={(e) => {
        const ds = TEST_DATASOURCES.find((d) => d.uid === e.currentTarget.value);
        if (ds) props.onChange(ds);
      }}
    >
      <option value="">Choose</option>
      {TEST_DATASOURCES.map((d) => (
        <option key={d.uid} value={d.uid}>
          {d.name}
        </option>
      ))}
    </select>
  );
}

export const locationService = { getLocation: () => window.location, push: () => undefined };
