import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

// Component tests for the plugin: jsdom, one global @grafana/runtime mock (src/test/setup.ts), HTTP
// answered by MSW handlers serving fixtures. Kept apart from the root config, which runs Node tests.
export default defineConfig({
  root: here,
  resolve: {
    alias: [{ find: /^@meridian\/catalog$/, replacement: `${here}../catalog/src/index.ts` }],
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    env: { TZ: 'UTC' },
    testTimeout: 30_000,
    // Importing @grafana/ui costs ~15 s of CPU per worker; sharing the module graph between test files
    // (no isolation) pays it once per worker instead of once per file. Tests reset MSW and permissions.
    isolate: false,
    pool: 'threads',
    css: false,
    // @grafana/ui imports CSS files (uPlot, react-calendar ...) that Node cannot load: let Vite process it.
    server: { deps: { inline: [/@grafana\/(ui|data|schema|e2e-selectors|i18n)/] } },
  },
});
