import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { DataSourcePicker, getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, Stack, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { CLICKHOUSE_DS_TYPE, PLUGIN_ID } from '../../constants';
import { runQueries } from '../../data/dsQuery';
import { toDataError } from '../../data/errors';
import { schedulerApi } from '../../data/schedulerApi';
import type { AppJsonData, AppSecureJsonData } from '../../types';
import { testIds } from '../testIds';

export type AppConfigProps = PluginConfigPageProps<AppPluginMeta<AppJsonData>>;

interface State {
  clickhouseUid: string;
  schedulerUrl: string;
  token: string;
  /** Whether Grafana already holds a token (it never sends the value back). */
  tokenSet: boolean;
  /** Set when the user typed a token or pressed Reset: only then is secureJsonData sent. */
  tokenChanged: boolean;
}

export function validateSchedulerUrl(url: string): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return 'Scheduler API URL must start with http:// or https://';
    return undefined;
  } catch {
    return 'Scheduler API URL is not a valid URL (for example http://meridian-scheduler:8080)';
  }
}

/** The settings payload Grafana's /api/plugins/<id>/settings takes. A secret goes only when changed. */
export function settingsPayload(meta: AppPluginMeta<AppJsonData>, s: State) {
  const jsonData: AppJsonData = {
    ...meta.jsonData,
    clickhouseUid: s.clickhouseUid || undefined,
    schedulerUrl: s.schedulerUrl.replace(/\/+$/, '') || undefined,
  };
  const payload: { enabled: boolean; pinned: boolean; jsonData: AppJsonData; secureJsonData?: AppSecureJsonData } = {
    enabled: meta.enabled ?? false,
    pinned: meta.pinned ?? false,
    jsonData,
  };
  // Any secureJsonData value, even "", overwrites the stored secret: send it only when it changed.
  if (s.tokenChanged) payload.secureJsonData = { schedulerToken: s.token };
  return payload;
}

/** The tables the app's SQL names unqualified: they must be in the data source's default database. */
export const MERIDIAN_TABLES = ['gpu_samples', 'host_samples', 'link_samples', 'topology', 'scheduler_decisions'];

/**
 * The app's SQL names Meridian's tables without a database, so ClickHouse looks for them in the data
 * source's "Default database" (the connection's database). Says which database that is, and whether
 * Meridian's tables are there.
 */
export async function checkDatabase(uid: string): Promise<{ ok: boolean; text: string }> {
  const list = MERIDIAN_TABLES.map((t) => `'${t}'`).join(', ');
  const r = await runQueries(
    uid,
    {
      db: `SELECT currentDatabase() AS db, toUInt32(countIf(name IN (${list}))) AS found FROM system.tables WHERE database = currentDatabase()`,
    },
    { from: Date.now() - 60_000, to: Date.now() },
    1000,
  );
  const row = r.db?.[0] ?? {};
  const db = String(row.db ?? '?');
  const found = Number(row.found ?? 0);
  if (found === MERIDIAN_TABLES.length) return { ok: true, text: `Meridian's tables are in database "${db}".` };
  return {
    ok: false,
    text: `The data source's default database is "${db}" and holds ${found} of Meridian's ${MERIDIAN_TABLES.length} tables. Set the data source's "Default database" to the one \`meridian migrate\` created (MERIDIAN_CLICKHOUSE_DATABASE, default meridian on a server; the default database for \`meridian up\` or \`meridian serve\`).`,
  };
}

export default function AppConfig({ plugin }: AppConfigProps) {
  const meta = plugin.meta;
  const s = useStyles2(getStyles);
  const [state, setState] = useState<State>({
    clickhouseUid: meta.jsonData?.clickhouseUid ?? '',
    schedulerUrl: meta.jsonData?.schedulerUrl ?? '',
    token: '',
    tokenSet: Boolean(meta.secureJsonFields?.schedulerToken),
    tokenChanged: false,
  });
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const urlError = validateSchedulerUrl(state.schedulerUrl);

  const save = async () => {
    setSaving(true);
    setMessage(null);
    try {
      await lastValueFrom(
        getBackendSrv().fetch({
          url: `/api/plugins/${PLUGIN_ID}/settings`,
          method: 'POST',
          data: settingsPayload(meta, state),
          showErrorAlert: false,
        }),
      );
      // Grafana has no supported way to refresh a plugin's meta in place: reload to pick up the settings.
      window.location.reload();
    } catch (e) {
      setMessage({ ok: false, text: toDataError(e, 'Saving the settings').message });
    } finally {
      setSaving(false);
    }
  };

  const testClickHouse = async () => {
    setMessage(null);
    if (!state.clickhouseUid) return setMessage({ ok: false, text: 'Pick a ClickHouse data source first.' });
    try {
      const r = await lastValueFrom(
        getBackendSrv().fetch<{ status?: string; message?: string }>({
          url: `/api/datasources/uid/${state.clickhouseUid}/health`,
          method: 'GET',
          showErrorAlert: false,
        }),
      );
      const ok = (r.data.status ?? 'OK').toUpperCase() === 'OK';
      const health = `ClickHouse: ${r.data.message ?? (ok ? 'connected' : 'failed')}`;
      if (!ok) return setMessage({ ok, text: health });
      const db = await checkDatabase(state.clickhouseUid);
      setMessage({ ok: db.ok, text: `${health}. ${db.text}` });
    } catch (e) {
      setMessage({ ok: false, text: toDataError(e, 'ClickHouse health check').message });
    }
  };

  const testScheduler = async () => {
    setMessage(null);
    try {
      await schedulerApi.health();
      setMessage({ ok: true, text: 'Scheduler API: reachable and the token was accepted.' });
    } catch (e) {
      const err = toDataError(e, 'Scheduler API');
      setMessage({
        ok: false,
        text: `${err.message}. The test uses the saved settings: save first if you changed the URL or token.`,
      });
    }
  };

  return (
    <div data-testid={testIds.appConfig.container} className={s.root}>
      <Alert severity="info" title="Provisioned settings win" data-testid={testIds.appConfig.provisioned}>
        If this app is provisioned (a file under Grafana&apos;s provisioning/plugins/, such as Meridian&apos;s
        deploy/grafana/provisioning/plugins/meridian.yaml), Grafana writes that file&apos;s settings back on every
        restart and what you save here is lost: change the file instead.
      </Alert>
      <FieldSet label="Telemetry">
        <Field
          label="ClickHouse data source"
          description="The grafana-clickhouse-datasource instance that holds Meridian's tables. The app's queries name the tables without a database, so its Default database must be the one they are in: the test below checks."
        >
          <div data-testid={testIds.appConfig.datasource}>
            <DataSourcePicker
              type={CLICKHOUSE_DS_TYPE}
              current={state.clickhouseUid || null}
              noDefault
              width={60}
              onChange={(ds) => setState((p) => ({ ...p, clickhouseUid: ds.uid }))}
            />
          </div>
        </Field>
        <Button data-testid={testIds.appConfig.testClickHouse} variant="secondary" size="sm" onClick={testClickHouse}>
          Test ClickHouse connection
        </Button>
      </FieldSet>
      <FieldSet label="Scheduler API">
        <Field
          label="Scheduler API URL"
          description="Where Grafana's server reaches `meridian schedule`, e.g. http://meridian-scheduler:8080."
          invalid={Boolean(urlError)}
          error={urlError}
        >
          <Input
            data-testid={testIds.appConfig.schedulerUrl}
            width={60}
            value={state.schedulerUrl}
            placeholder="http://meridian-scheduler:8080"
            onChange={(e) => {
              // Read the value now: React clears currentTarget before a state updater runs.
              const schedulerUrl = e.currentTarget.value.trim();
              setState((p) => ({ ...p, schedulerUrl }));
            }}
          />
        </Field>
        <Field
          label="Scheduler API token"
          description="A bearer token from the scheduler config. Use an operator token to allow approve, rebalance, pause and resume."
        >
          <SecretInput
            data-testid={testIds.appConfig.token}
            width={60}
            isConfigured={state.tokenSet}
            value={state.token}
            placeholder="token"
            onChange={(e) => {
              const token = e.currentTarget.value;
              setState((p) => ({ ...p, token, tokenChanged: true }));
            }}
            onReset={() => setState((p) => ({ ...p, token: '', tokenSet: false, tokenChanged: true }))}
          />
        </Field>
        <Button data-testid={testIds.appConfig.testScheduler} variant="secondary" size="sm" onClick={testScheduler}>
          Test scheduler connection
        </Button>
      </FieldSet>
      {message && (
        <div data-testid={testIds.appConfig.testResult}>
          <Alert severity={message.ok ? 'success' : 'error'} title={message.text} />
        </div>
      )}
      <Stack gap={1}>
        <Button data-testid={testIds.appConfig.save} onClick={save} disabled={saving || Boolean(urlError)}>
          Save settings
        </Button>
      </Stack>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ maxWidth: 900, display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
});
