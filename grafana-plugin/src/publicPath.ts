// Sets webpack's public path from the URL the AMD loader fetched module.js from, so lazy chunks load
// from the same place even when Grafana is served under a sub-path or a CDN. Falls back to the plugin
// root for loaders that give no module URI.
// @ts-expect-error 'amd-module' is the AMD loader's magic `module` object, made external in webpack.
import amdMetaModule from 'amd-module';

// webpack rewrites assignments to this free variable into its runtime public path.
declare let __webpack_public_path__: string;
const meta = amdMetaModule as { uri?: string } | undefined;
// eslint-disable-next-line prefer-const
__webpack_public_path__ = meta?.uri
  ? meta.uri.slice(0, meta.uri.lastIndexOf('/') + 1)
  : 'public/plugins/meridian-fabric-app/';
