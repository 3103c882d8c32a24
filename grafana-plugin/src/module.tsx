import React, { lazy, Suspense } from 'react';
import { AppPlugin, type AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import type { AppConfigProps } from './components/AppConfig/AppConfig';
import type { AppJsonData } from './types';

// The root page is lazy and NOT wrapped in Suspense: Grafana shows its own loading state for it.
const LazyApp = lazy(() => import(/* webpackChunkName: "app" */ './components/App/App'));
const LazyAppConfig = lazy(() => import(/* webpackChunkName: "config" */ './components/AppConfig/AppConfig'));

function AppConfig(props: AppConfigProps) {
  // Config pages are rendered inside Grafana's plugin settings page, which has no Suspense boundary.
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading configuration…" />}>
      <LazyAppConfig {...props} />
    </Suspense>
  );
}

export const plugin = new AppPlugin<AppJsonData>()
  .setRootPage(LazyApp as unknown as React.ComponentType<AppRootProps<AppJsonData>>)
  .addConfigPage({ title: 'Configuration', icon: 'cog', body: AppConfig, id: 'configuration' });
