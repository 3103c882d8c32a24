import { describe, expect, it } from 'vitest';
import { WriteHealth } from '../src/write-health.js';

const enospc = new Error('ENOSPC: no space left on device, write');

describe('WriteHealth', () => {
  it('logs a failing store once per interval, not once per batch, and says when writes resume', () => {
    let now = 0;
    const lines: string[] = [];
    const h = new WriteHealth(
      (l) => lines.push(l),
      30_000,
      () => now,
    );
    expect(h.degraded()).toBeUndefined();
    for (let i = 0; i < 10; i++, now += 1000) h.failed(enospc);
    expect(h.degraded()).toBe('store write failed: ENOSPC: no space left on device, write');
    expect(lines).toEqual([
      'store write failed: ENOSPC: no space left on device, write (1 failed writes so far; rows wait in memory and are lost at exit)',
    ]);
    now = 31_000;
    h.failed(enospc);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('(11 failed writes so far;');
    h.written();
    expect(h.degraded()).toBeUndefined();
    expect(lines[2]).toBe('store writes resumed after 11 failed writes');
    expect(h.failedWrites).toBe(11);
  });

  it('ends a wait for the store at the next failed write, or at abort', async () => {
    const h = new WriteHealth(() => undefined);
    const never = new Promise<void>(() => undefined);
    const waiting = h.race(never);
    h.failed(enospc);
    await expect(waiting).rejects.toThrow('store write failed: ENOSPC');
    // While degraded, a new wait fails at once.
    await expect(h.race(Promise.resolve(1))).rejects.toThrow(/ENOSPC/);
    h.written();
    await expect(h.race(Promise.resolve(2))).resolves.toBe(2);
    const stopping = h.race(never);
    h.abort('stopping');
    await expect(stopping).rejects.toThrow('stopping');
  });
});
