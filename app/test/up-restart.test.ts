/**
 * Two `meridian up` runs in a row on one data directory, faster than real time: the second continues
 * the twin's clock after the stored samples instead of writing the same (ts, GPU) again.
 *
 * Both runs are given one scenario start. Without it each would start at its own wall-clock minute,
 * and when a minute boundary fell between the two starts (one run in ten or so) the second began
 * after the first run's samples and had nothing to continue from: right, but not what this checks.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runUp } from '@meridian/app';
import { openStore } from '@meridian/store';
import { capture } from './capture.js';

describe('meridian up, restarted on the same directory', () => {
  it('writes no (ts, gpu_uuid) sample twice', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-restart-'));
    // Ten minutes ago on the minute: recent, so that no table's TTL drops the rows.
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 600_000).toISOString();
    const scenario = join(data, 'restart.yaml');
    writeFileSync(scenario, `extends: default\nname: restart\nstart: "${start}"\n`);
    const texts: string[] = [];
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const out = capture();
      runs.push(
        await runUp(
          { scenario, speed: 10, durationS: 3, data, port: 0 },
          { stdout: out.stream, stderr: out.stream, handleSignals: false },
        ),
      );
      texts.push(out.text());
    }
    // Without the stored clock the second would start at the scenario's start again, inside the first.
    expect(runs[0]?.simStartMs).toBe(Date.parse(start));
    expect(runs[0]?.rows.gpu).toBeGreaterThan(0);
    expect(texts[1]).toMatch(/twin clock: continues after the stored samples of an earlier run, from \d{4}-/);
    expect(runs[1]?.simStartMs).toBeGreaterThanOrEqual((runs[0]?.simStartMs ?? 0) + (runs[0]?.simS ?? 0) * 1000);

    const store = await openStore({ data });
    try {
      const [r] = await store.query<{ rows: string; distinct: string }>(
        "SELECT count() AS rows, uniqExact(ts, gpu_uuid) AS distinct FROM gpu_samples WHERE source = 'sim'",
      );
      expect(Number(r?.rows)).toBe((runs[0]?.rows.gpu ?? 0) + (runs[1]?.rows.gpu ?? 0));
      expect(Number(r?.rows) - Number(r?.distinct)).toBe(0);
    } finally {
      await store.close();
    }
  }, 120_000);
});
