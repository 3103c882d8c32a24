// Bundles the browser host (entry.tsx) with Grafana's shared modules from the real npm packages.
// Development mode without minification: the bundle only serves the local browser test, and skipping
// terser on @grafana/ui saves most of the build time on a 2-core machine.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const here = path.dirname(fileURLToPath(import.meta.url));

export function buildHost(outDir) {
  const compiler = webpack({
    mode: 'development',
    devtool: false,
    context: here,
    entry: { host: './entry.tsx' },
    output: { path: outDir, filename: '[name].js' },
    resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js'] },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                target: 'es2020',
                parser: { syntax: 'typescript', tsx: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
        { test: /\.css$/, type: 'asset/source' },
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
      ],
    },
    performance: { hints: false },
    cache: { type: 'filesystem', cacheDirectory: path.join(outDir, '.cache') },
    plugins: [new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') })],
  });
  return new Promise((resolve, reject) =>
    compiler.run((err, stats) => {
      compiler.close(() => undefined);
      if (err) return reject(err);
      if (stats.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })));
      resolve(path.join(outDir, 'host.js'));
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t = Date.now();
  buildHost(path.resolve(here, '../../../test-results/browser-host')).then((f) =>
    console.log(`${f} in ${Date.now() - t} ms`),
  );
}
