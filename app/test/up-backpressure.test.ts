/**
 * `meridian up` ahead of a slow store: while the store takes no rows (its writes held at a gate
 * between the sink and the store), the twin must wait for it rather than run on and fill the
 * memory spool to its bound, where the oldest batches would be dropped. Once the store takes rows
 * again the run goes on, and nothing is lost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runUp } from '@meridian/app';
import type { StoreTarget } from '@meridian/collector';
import type { Store } from '@meridian/store';
import { capture } from './capture.js';

/** The store behind a gate: while it is shut, every telemetry write waits for it to open. */
function gated() {
  let open: (() => void) | undefined;
  let shut: Promise<void> | undefined;
  const state = {
    held: 0,
    shut(): void {
      shut = new Promise((r) => (open = r));
    },
    open(): void {
      shut = undefined;
      open?.();
    },
  };
  const pass = async (): Promise<void> => {
    if (!shut) return;
    state.held++;
    await shut;
  };
  const target = (store: Store): StoreTarget => ({
    writer: (entity) => {
      const w = store.writer(entity);
      return {
        write: async (rows, opts) => (await pass(), w.write(rows, opts)),
        writeColumns: async (batch, opts) => (await pass(), w.writeColumns(batch, opts)),
      };
    },
    insert: async (table, rows, opts) => (await pass(), store.insert(table, rows, opts)),
  });
  return { state, target };
}

interface Status {
  simTimeS: number;
  wallS: number;
}

describe('meridian up ahead of a slow store', () => {
  it('waits for the store instead of running on and dropping batches, and loses nothing', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-backpressure-'));
    const out = capture();
    const gate = gated();
    const speed = 200;
    const run = runUp(
      { speed, data, port: 0, durationS: 12 },
      { stdout: out.stream, stderr: out.stream, handleSignals: false, sinkTarget: gate.target },
    );
    const statusUrl = out.statusUrl;
    await vi.waitUntil(() => statusUrl() !== '', { timeout: 30_000, interval: 50 });
    const status = async (): Promise<Status> => (await (await fetch(`${statusUrl()}/api/status`)).json()) as Status;

    gate.state.shut();
    await vi.waitUntil(() => gate.state.held > 0, { timeout: 20_000, interval: 20 });
    const held = await status();
    // The one timed window here, because what it checks is that the twin does NOT run on: two wall
    // seconds, in which a twin that ignored the store would simulate 400 s.
    await vi.waitUntil(async () => (await status()).wallS >= held.wallS + 2, { timeout: 20_000, interval: 100 });
    const after = await status();
    const freeRun = (after.wallS - held.wallS) * speed;
    // What it may still simulate: the batches the sink may hold (30 s of gpu samples each) and a tick.
    expect(after.simTimeS - held.simTimeS).toBeLessThan(freeRun / 2);
    expect(after.simTimeS - held.simTimeS).toBeLessThanOrEqual(70);

    gate.state.open();
    const summary = await run;
    expect(summary.rowsLost).toBe(0);
    expect(summary.rowsWritten).toBe(summary.rows.gpu + summary.rows.host + summary.rows.link + summary.rows.aux);
  }, 90_000);
});
