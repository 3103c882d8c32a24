import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, beforeAll, vi } from 'vitest';
import { server } from './server';
import { resetPermissions } from './runtimeState';

// @grafana/runtime is mocked once, here, for every test file (see ./grafanaRuntime.tsx for why).
vi.mock('@grafana/runtime', () => import('./grafanaRuntime'));

// jsdom lacks these browser APIs that @grafana/ui touches.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    dispatchEvent: () => false,
  }),
});
class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
globalThis.ResizeObserver = NoopObserver as unknown as typeof ResizeObserver;
globalThis.IntersectionObserver = NoopObserver as unknown as typeof IntersectionObserver;
HTMLCanvasElement.prototype.getContext = (() => null) as unknown as typeof HTMLCanvasElement.prototype.getContext;
window.scrollTo = () => undefined;

// The first render of a page waits for its lazy chunk and @grafana/ui: give findBy* room on 2 cores.
configure({ asyncUtilTimeout: 10_000 });

const flags = globalThis as { __meridianMswListening?: boolean };
beforeAll(() => {
  // Test files share one module graph (isolate: false) but re-run this file: listen only once.
  if (!flags.__meridianMswListening) server.listen({ onUnhandledRequest: 'error' });
  flags.__meridianMswListening = true;
});
afterEach(() => {
  cleanup();
  server.resetHandlers();
  resetPermissions();
});
