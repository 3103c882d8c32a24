import type { AppRootProps } from '@grafana/data';
import React, { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { ROUTES } from '../../constants';
import type { AppJsonData } from '../../types';
import { AppSettingsContext } from '../common/AppSettingsContext';
import { Loading } from '../common/PageStates';

const Overview = lazy(() => import(/* webpackChunkName: "overview" */ '../../pages/Overview'));
const Regions = lazy(() => import(/* webpackChunkName: "regions" */ '../../pages/Regions'));
const Gpus = lazy(() => import(/* webpackChunkName: "gpus" */ '../../pages/Gpus'));
const Links = lazy(() => import(/* webpackChunkName: "links" */ '../../pages/Links'));
const Scheduler = lazy(() => import(/* webpackChunkName: "scheduler" */ '../../pages/Scheduler'));

/** Routes are relative to /a/meridian-fabric-app/; anything unknown falls back to the overview. */
function App(props: AppRootProps<AppJsonData>) {
  return (
    <AppSettingsContext.Provider value={props.meta.jsonData ?? {}}>
      <Suspense fallback={<Loading what="the page" />}>
        <Routes>
          <Route path={ROUTES.Regions} element={<Regions />} />
          <Route path={`${ROUTES.Regions}/:region`} element={<Regions />} />
          <Route path={`${ROUTES.Regions}/:region/hosts/:host`} element={<Regions />} />
          <Route path={ROUTES.Gpus} element={<Gpus />} />
          <Route path={`${ROUTES.Gpus}/:uuid`} element={<Gpus />} />
          <Route path={ROUTES.Links} element={<Links />} />
          <Route path={ROUTES.Scheduler} element={<Scheduler />} />
          <Route path="*" element={<Overview />} />
        </Routes>
      </Suspense>
    </AppSettingsContext.Provider>
  );
}

export default App;
