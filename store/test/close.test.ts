import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@meridian/store';

describe('closing the embedded store', () => {
  it('means closed even with a query still running, so a store can open at another directory next', async () => {
    const first = await openStore({ data: mkdtempSync(path.join(tmpdir(), 'meridian-close-a-')) });
    // A query that keeps the engine busy for a while; close() is called while it runs.
    const running = first.query<{ n: number }>('SELECT sleep(2) AS n').then(
      () => 'finished',
      () => 'failed',
    );
    await first.close();
    const second = await openStore({ data: mkdtempSync(path.join(tmpdir(), 'meridian-close-b-')) });
    try {
      expect(await second.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await second.close();
    }
    expect(['finished', 'failed']).toContain(await running);
  }, 60_000);
});
