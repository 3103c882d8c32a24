import { describe, expect, it } from 'vitest';
import { runtimeState, GRAFANA_URL } from '../test/runtimeState';
import { http, HttpResponse, PROXY, server } from '../test/server';
import { runQueries } from './dsQuery';
import { DataError } from './errors';
import { schedulerApi } from './schedulerApi';

const range = { from: 0, to: 60_000 };

async function failure(p: Promise<unknown>): Promise<DataError> {
  const e: unknown = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('what the plugin shows for each failure real Grafana answers with', () => {
  it('a 401 from the scheduler (wrong token) is "the scheduler token is wrong", and leaves the session alone', async () => {
    let calls = 0;
    server.use(
      http.get(`${PROXY}/api/v1/state`, () => {
        calls++;
        return HttpResponse.json(
          { error: 'unauthorized', message: 'missing or invalid bearer token' },
          { status: 401 },
        );
      }),
    );
    const e = await failure(schedulerApi.state());
    expect(e.kind).toBe('scheduler-token');
    expect(e.message).toMatch(/scheduler token is wrong/);
    expect(runtimeState.sessionChecks).toBe(0);
    expect(calls).toBe(1);
  });

  it('a 401 from Grafana itself (the session expired) still goes through Grafana’s session handling', async () => {
    server.use(
      http.get(`${PROXY}/api/v1/state`, () => HttpResponse.json({ message: 'Unauthorized' }, { status: 401 })),
    );
    const e = await failure(schedulerApi.state());
    expect(runtimeState.sessionChecks).toBe(1);
    expect(e.kind).toBe('permission');
  });

  it.each([
    [502, /cannot be reached \(HTTP 502\)/],
    [504, /cannot be reached \(HTTP 504\): no answer in time/],
  ])('the proxy’s %i with an empty body is "unreachable" with what it means', async (status, text) => {
    server.use(http.post(`${PROXY}/api/v1/pause`, () => new HttpResponse(null, { status })));
    const e = await failure(schedulerApi.pause());
    expect(e.kind).toBe('unreachable');
    expect(e.status).toBe(status);
    expect(e.message).toMatch(text);
  });

  it('/api/ds/query’s 404 without results is a missing data source, named by its uid', async () => {
    server.use(
      http.post(`${GRAFANA_URL}/api/ds/query`, () =>
        HttpResponse.json({ message: 'Data source not found', traceID: '' }, { status: 404 }),
      ),
    );
    const e = await failure(runQueries('gone-uid', { a: 'SELECT 1' }, range, 1000));
    expect(e.kind).toBe('datasource-missing');
    expect(e.message).toMatch(/"gone-uid".*does not exist/);
  });

  it('a per-query error in a 400 stays a query error with ClickHouse’s text', async () => {
    server.use(
      http.post(`${GRAFANA_URL}/api/ds/query`, () =>
        HttpResponse.json({ results: { a: { status: 400, error: 'Unknown table gpu_samples' } } }, { status: 400 }),
      ),
    );
    const e = await failure(runQueries('ch-meridian', { a: 'SELECT 1' }, range, 1000));
    expect(e.kind).toBe('query');
    expect(e.message).toMatch(/Unknown table gpu_samples/);
  });
});
