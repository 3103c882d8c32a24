import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations, openStore, type SampleRow } from '@meridian/store';
import { T0 } from './helpers.js';

// Its own file: chDB binds one data directory per process, and this test needs a fresh one.
describe('a store not yet migrated to 0004', () => {
  it('still takes rows, without the derived columns, and gains them after migrate()', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-store-'));
    const store = await openStore({ data: dir });
    try {
      await store.command(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version String, description String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version",
      );
      for (const m of migrations.slice(0, 3)) for (const sql of m.statements({})) await store.command(sql);
      const r1 = await store.writer('gpu').write([row(0, 1), row(1, 3)]);
      expect(r1.written).toBe(2);
      expect((await store.query<{ n: string }>('SELECT toString(count()) AS n FROM gpu_samples'))[0]?.n).toBe('2');
      await store.migrate();
      await store.writer('gpu').write([row(2, 4), row(3, 6)]);
      const inc = await store.query<{ i: number | null }>('SELECT xid_count_inc AS i FROM gpu_samples ORDER BY ts');
      // Rows from before the migration have none; the writer's first sample after it has none either.
      expect(inc.map((x) => (x.i === null ? null : Number(x.i)))).toEqual([null, null, null, 2]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  function row(t: number, v: number): SampleRow {
    return { ts: T0 + t * 1000, source: 'sim', region: 'eu', host: 'h', gpu_uuid: 'G', xid_count: v };
  }
});
