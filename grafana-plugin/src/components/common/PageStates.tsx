import { Alert, EmptyState, LinkButton, LoadingPlaceholder } from '@grafana/ui';
import React from 'react';
import { PLUGIN_ID } from '../../constants';
import type { DataError } from '../../data/errors';
import { testIds } from '../testIds';

export function Loading({ what }: { what: string }) {
  return (
    <div data-testid={testIds.page.loading}>
      <LoadingPlaceholder text={`Loading ${what}…`} />
    </div>
  );
}

export function Empty({ title, hint }: { title: string; hint: string }) {
  return (
    <div data-testid={testIds.page.empty}>
      <EmptyState variant="not-found" message={title}>
        {hint}
      </EmptyState>
    </div>
  );
}

/** What the SRE should do about each kind of failure. */
function nextStep(e: DataError): string {
  switch (e.kind) {
    case 'permission':
      return 'Your Grafana role may not query this. Ask a Grafana admin for Query permission on the ClickHouse data source, or the Meridian app role that grants this page.';
    case 'not-configured':
      return 'Open the Meridian app configuration, pick the ClickHouse data source that holds Meridian tables and set the scheduler API URL.';
    case 'unreachable':
      return e.status === 504
        ? 'Grafana reached the service but it did not answer in time. Check that it is not overloaded, and the network between Grafana’s server and it.'
        : 'Grafana’s server could not connect. Check that ClickHouse or `meridian schedule` (or `meridian up`) is running and that the URL in the app configuration is the one Grafana’s server (not your browser) reaches.';
    case 'scheduler-token':
      return 'Set the scheduler token in the Meridian app configuration to one listed under `api.tokens` in the scheduler config (`meridian up` prints where its token file is). Your Grafana session is not affected.';
    case 'datasource-missing':
      return 'Open the Meridian app configuration and pick the ClickHouse data source again (provisioned: uid meridian-clickhouse).';
    case 'not-found':
      return 'It may have been removed, or the link is stale. Go back to the overview and pick it again.';
    case 'query':
      return 'Check that `meridian migrate` has been run against this ClickHouse and that the range holds data.';
  }
}

export function ErrorState({ error, title }: { error: DataError; title: string }) {
  return (
    <div data-testid={testIds.page.error}>
      <Alert severity={error.kind === 'permission' ? 'warning' : 'error'} title={title}>
        <p>{error.message}</p>
        <p>{nextStep(error)}</p>
        {(error.kind === 'not-configured' ||
          error.kind === 'unreachable' ||
          error.kind === 'scheduler-token' ||
          error.kind === 'datasource-missing') && (
          <LinkButton href={`/plugins/${PLUGIN_ID}`} variant="secondary" icon="cog" size="sm">
            Open configuration
          </LinkButton>
        )}
      </Alert>
    </div>
  );
}
