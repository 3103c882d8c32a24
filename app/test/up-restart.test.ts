/**
 * Two `meridian up` runs in a row on one data directory, faster than real time: the second continues
 * the twin's clock after the stored samples instead of writing the same (ts, GPU) again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runUp } from '@meridian/app';
import { openStore } from '@meridian/store';

describe('meridian up, restarted on the same directory', () => {
  it('writes no (ts, gpu_uuid) sample twice', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-restart-'));
    const texts: string[] = [];
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const out = new PassThrough();
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString()));
      runs.push(
        await runUp({ speed: 10, durationS: 3, data, port: 0 }, { stdout: out, stderr: out, handleSignals: false }),
      );
      texts.push(text);
    }
    // Ten times faster than the wall clock, the first run ends well past "now": without the stored
    // clock the second would start inside it.
    expect(runs[0]?.simS).toBeGreaterThan(10);
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
