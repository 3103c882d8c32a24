import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openStore } from '@meridian/store';
import { runUpReal } from '@meridian/app';

describe('meridian up --real', () => {
  it('runs the real collector for this host into the store, names sources that cannot run, and summarises', async () => {
    // Any free port for the collector's own /metrics, so this never collides with a running agent.
    process.env.MERIDIAN_COLLECTOR_TELEMETRY_LISTEN = '127.0.0.1:0';
    const data = mkdtempSync(join(tmpdir(), 'up-real-'));
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const err = new PassThrough();
    err.resume();
    const s = await runUpReal({ durationS: 3, data }, { stdout: out, stderr: err, handleSignals: false });
    expect(s.sources).toContain('host');
    expect(text).toMatch(/meridian up --real: the collector for .* → embedded store in .*up-real-/);
    expect(text).toMatch(/summary: the collector ran/);
    if (!s.sources.includes('nvidia-smi')) expect(text).toMatch(/source nvidia-smi cannot run here/);
    expect(s.rowsWritten).toBeGreaterThan(0);

    const store = await openStore({ data });
    try {
      const [h] = await store.query<{ n: string; src: string }>(
        'SELECT count() AS n, any(source) AS src FROM host_samples',
      );
      expect(Number(h?.n)).toBeGreaterThan(0);
      expect(h?.src).not.toBe('sim');
    } finally {
      await store.close();
    }
  });
});
