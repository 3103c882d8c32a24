import type { AppPluginMeta, AppRootProps } from '@grafana/data';
import { render } from '@testing-library/react';
import React from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import App from '../components/App/App';
import type { AppJsonData } from '../types';

export const SETTINGS: AppJsonData = { clickhouseUid: 'ch-meridian', schedulerUrl: 'http://scheduler.test:8080' };

export function appMeta(jsonData: AppJsonData = SETTINGS): AppPluginMeta<AppJsonData> {
  return {
    id: 'meridian-fabric-app',
    name: 'Meridian Fabric',
    enabled: true,
    pinned: true,
    jsonData,
    secureJsonFields: {},
  } as unknown as AppPluginMeta<AppJsonData>;
}

/** Renders the app at `url` the way Grafana mounts it: under /a/meridian-fabric-app/*, with its meta. */
export function renderApp(url: string, jsonData: AppJsonData = SETTINGS) {
  const props = {
    meta: appMeta(jsonData),
    basename: '/a/meridian-fabric-app',
    query: {},
    path: '/a/meridian-fabric-app',
  } as unknown as AppRootProps<AppJsonData>;
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/a/meridian-fabric-app/*" element={<App {...props} />} />
      </Routes>
    </MemoryRouter>,
  );
}
