/**
 * `meridian up` on a full disk: the store's writes fail with ENOSPC (injected between the sink and
 * the store). The run must say so (status line, /healthz, one log line per interval, not per
 * batch), still stop on time at --duration, and its summary must say rows were lost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runUp } from '@meridian/app';
import type { StoreTarget } from '@meridian/collector';
import type { Store } from '@meridian/store';
import { capture } from './capture.js';

const enospc = (): Error =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });

/** The store, until `full.on`: then every telemetry write fails as a full disk makes it fail. */
function fillable(full: { on: boolean }) {
  return (store: Store): StoreTarget => ({
    writer: (entity) => {
      const w = store.writer(entity);
      return {
        write: async (rows, opts) => {
          if (full.on) throw enospc();
          return w.write(rows, opts);
        },
      };
    },
    insert: async (table, rows, opts) => {
      if (full.on) throw enospc();
      return store.insert(table, rows, opts);
    },
  });
}

describe('meridian up when the store cannot write', () => {
  it('reports the failure on /healthz and the status line, logs it once, ends on time and counts lost rows', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-enospc-'));
    const out = capture();
    const full = { on: false };
    // Long enough for several 5 s flushes after the disk fills, even on a loaded 2-core machine.
    const durationS = 20;
    const t0 = performance.now();
    const run = runUp(
      { speed: 10, data, port: 0, durationS },
      { stdout: out.stream, stderr: out.stream, handleSignals: false, sinkTarget: fillable(full) },
    );
    const statusUrl = out.statusUrl;
    await vi.waitUntil(() => statusUrl() !== '', { timeout: 30_000, interval: 50 });
    expect((await fetch(`${statusUrl()}/healthz`)).status).toBe(200);
    full.on = true;
    // The pipeline flushes every 5 s: the first failed write comes with the next batch.
    await vi.waitUntil(async () => (await fetch(`${statusUrl()}/healthz`)).status === 503, {
      timeout: 20_000,
      interval: 100,
    });
    const health = (await (await fetch(`${statusUrl()}/healthz`)).json()) as { status: string; reason: string };
    expect(health).toEqual({
      status: 'degraded',
      reason: 'store write failed: ENOSPC: no space left on device, write',
    });
    const summary = await run;
    const tookS = (performance.now() - t0) / 1000;

    // On time: the duration, the start-up and a bounded shutdown (no wait on a store that cannot write).
    expect(summary.wallS).toBeLessThan(durationS + 1);
    expect(tookS).toBeLessThan(durationS + 20);
    // One log line for the failure in this run (the interval is 30 s), however many batches failed.
    const logged = out
      .text()
      .split('\n')
      .filter((l) => l.startsWith('store write failed: ENOSPC'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/\(\d+ failed writes so far; rows wait in memory and are lost at exit\)/);
    // The status line says it too.
    expect(out.text()).toMatch(/\[t\+.*\] rows \d+ \(\d+\/s\) \| DEGRADED: store write failed: ENOSPC/);
    // And the summary counts what never reached the store.
    expect(summary.rowsLost).toBeGreaterThan(0);
    expect(summary.rowsLost).toBe(
      summary.rows.gpu + summary.rows.host + summary.rows.link + summary.rows.aux - summary.rowsWritten,
    );
    expect(out.text()).toMatch(/ROWS LOST: [\d,]+ rows never reached the store \(store write failed: ENOSPC/);
  }, 90_000);
});
