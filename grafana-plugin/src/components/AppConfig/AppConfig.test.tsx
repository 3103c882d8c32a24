import type { AppPluginMeta } from '@grafana/data';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dsAnswer, http, HttpResponse, PROXY, seenSql, server } from '../../test/server';
import type { AppJsonData } from '../../types';
import { testIds } from '../testIds';
import AppConfig, { type AppConfigProps } from './AppConfig';

function meta(jsonData: AppJsonData, tokenSet: boolean): AppPluginMeta<AppJsonData> {
  return {
    id: 'meridian-fabric-app',
    enabled: true,
    pinned: true,
    jsonData,
    secureJsonFields: tokenSet ? { schedulerToken: true } : {},
  } as unknown as AppPluginMeta<AppJsonData>;
}

function renderConfig(
  jsonData: AppJsonData = { clickhouseUid: 'ch-meridian', schedulerUrl: 'http://scheduler.test:8080' },
  tokenSet = true,
) {
  const props = { plugin: { meta: meta(jsonData, tokenSet) }, query: {} } as unknown as AppConfigProps;
  return render(<AppConfig {...props} />);
}

let saved: unknown[] = [];
const reload = vi.fn();

beforeEach(() => {
  saved = [];
  server.use(
    http.post('http://grafana.test/api/plugins/meridian-fabric-app/settings', async ({ request }) => {
      saved.push(await request.json());
      return HttpResponse.json({ message: 'Plugin settings updated' });
    }),
  );
  Object.defineProperty(window, 'location', { configurable: true, value: { ...window.location, reload } });
});
afterEach(() => reload.mockReset());

describe('Configuration page', () => {
  it('saves jsonData without secureJsonData when the token was not touched', async () => {
    const user = userEvent.setup();
    renderConfig();
    const url = screen.getByTestId(testIds.appConfig.schedulerUrl);
    await user.clear(url);
    await user.type(url, 'http://meridian:8080/');
    await user.selectOptions(screen.getByRole('combobox', { name: 'ClickHouse data source' }), 'ch-other');
    await user.click(screen.getByTestId(testIds.appConfig.save));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toEqual({
      enabled: true,
      pinned: true,
      jsonData: { clickhouseUid: 'ch-other', schedulerUrl: 'http://meridian:8080' },
    });
    expect(reload).toHaveBeenCalled();
  });

  it('sends the token only when one was typed', async () => {
    const user = userEvent.setup();
    renderConfig({ clickhouseUid: 'ch-meridian', schedulerUrl: 'http://scheduler.test:8080' }, false);
    await user.type(screen.getByTestId(testIds.appConfig.token), 'op-secret-123');
    await user.click(screen.getByTestId(testIds.appConfig.save));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({ secureJsonData: { schedulerToken: 'op-secret-123' } });
  });

  it('clears a configured token on reset, sending an empty secret', async () => {
    const user = userEvent.setup();
    renderConfig();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    await user.click(screen.getByTestId(testIds.appConfig.save));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({ secureJsonData: { schedulerToken: '' } });
  });

  it('refuses to save a scheduler URL that is not http(s)', async () => {
    const user = userEvent.setup();
    renderConfig();
    const url = screen.getByTestId(testIds.appConfig.schedulerUrl);
    await user.clear(url);
    await user.type(url, 'ftp://scheduler');
    expect(screen.getByText('Scheduler API URL must start with http:// or https://')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.save)).toBeDisabled();
  });

  it('reports a failed save', async () => {
    server.use(
      http.post('http://grafana.test/api/plugins/meridian-fabric-app/settings', () =>
        HttpResponse.json({ message: 'Permission denied' }, { status: 403 }),
      ),
    );
    const user = userEvent.setup();
    renderConfig();
    await user.click(screen.getByTestId(testIds.appConfig.save));
    expect(await screen.findByText(/Saving the settings: permission denied/)).toBeInTheDocument();
    expect(reload).not.toHaveBeenCalled();
  });

  it('tests the ClickHouse data source and the scheduler connection', async () => {
    server.use(
      http.get('http://grafana.test/api/datasources/uid/ch-meridian/health', () =>
        HttpResponse.json({ status: 'OK', message: 'Data source is working' }),
      ),
      http.get(`${PROXY}/api/v1/state`, () =>
        HttpResponse.json({ error: 'unauthorized', message: 'missing or invalid bearer token' }, { status: 401 }),
      ),
    );
    const user = userEvent.setup();
    renderConfig();
    server.use(dsAnswer({ db: [{ db: 'meridian', found: 5 }] }));
    await user.click(screen.getByTestId(testIds.appConfig.testClickHouse));
    expect(
      await screen.findByText('ClickHouse: Data source is working. Meridian\'s tables are in database "meridian".'),
    ).toBeInTheDocument();
    expect(seenSql.db).toMatch(/currentDatabase\(\)/);
    await user.click(screen.getByTestId(testIds.appConfig.testScheduler));
    expect(await screen.findByText(/The scheduler token is wrong/)).toBeInTheDocument();
  });

  it('says when the data source’s default database does not hold Meridian’s tables', async () => {
    server.use(
      http.get('http://grafana.test/api/datasources/uid/ch-meridian/health', () =>
        HttpResponse.json({ status: 'OK', message: 'Data source is working' }),
      ),
      dsAnswer({ db: [{ db: 'default', found: 0 }] }),
    );
    const user = userEvent.setup();
    renderConfig();
    await user.click(screen.getByTestId(testIds.appConfig.testClickHouse));
    expect(
      await screen.findByText(/default database is "default" and holds 0 of Meridian's 5 tables/),
    ).toBeInTheDocument();
  });

  it('says that provisioning overwrites what is saved here', () => {
    renderConfig();
    expect(screen.getByTestId(testIds.appConfig.provisioned)).toHaveTextContent(/on every\s+restart/);
  });
});
