/**
 * The twin in the loop with the real @meridian/scheduler, twice from the same seed: identical
 * telemetry and identical decisions. Each run has its own embedded store (opened and closed in turn).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPipeline, createStoreSink } from '@meridian/collector';
import { createScheduler } from '@meridian/scheduler';
import { Twin, TwinRunner } from '@meridian/sim';
import { openStore } from '@meridian/store';

const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;

async function loop(): Promise<{ digest: string; decisions: string[]; moves: number }> {
  const store = await openStore({ data: mkdtempSync(join(tmpdir(), 'sim-sched-')) });
  try {
    await store.migrate();
    const twin = new Twin('cooling-loss', { startMs: START });
    const sink = createStoreSink({ store });
    const pipeline = createPipeline({ sink, flushIntervalMs: 0, maxRows: 100_000, collectorId: 'sim', runId: 'det' });
    const scheduler = await createScheduler({
      store,
      executor: twin.executor(),
      clock: () => twin.nowMs,
      // Conditions must persist 30 s instead of 120 s, so a short run reaches decisions.
      config: { store: { source: 'sim' }, load: { persistSeconds: 30 }, throttle: { persistSeconds: 30 } },
    });
    const hash = createHash('sha256');
    const runner = new TwinRunner(twin, pipeline, {
      externalPass: async () => {
        await pipeline.flush();
        await sink.drained();
        return (await scheduler.runPass()).decisions;
      },
    });
    runner.writeStatic();
    while (twin.timeS < 100) {
      const o = await runner.tick();
      for (const part of [o.gpu, o.host, o.link, o.workloads]) hash.update(JSON.stringify(part));
    }
    await scheduler.stop();
    await pipeline.close();
    const decisions = runner.decisions.map((d) =>
      [d.ts, d.decision_id, d.action, d.workload_id, d.region_from, d.region_to, d.reason, d.outcome].join(' | '),
    );
    return { digest: hash.digest('hex'), decisions, moves: twin.stats.moves };
  } finally {
    await store.close();
  }
}

describe('twin + @meridian/scheduler', () => {
  it('the same seed gives identical telemetry and identical decisions through the real scheduler', async () => {
    const a = await loop();
    const b = await loop();
    expect(a.decisions.length).toBeGreaterThan(0);
    expect(b.digest).toBe(a.digest);
    expect(b.decisions).toEqual(a.decisions);
    expect(b.moves).toBe(a.moves);
  }, 120_000);
});
