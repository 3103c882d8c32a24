import { describe, expect, it } from 'vitest';
import { renderClusterDdl } from '@meridian/store';
import { tempStore } from './helpers.js';

const ddl = renderClusterDdl('fabric');
const statements = ddl
  .split(/;\n/)
  .map((s) =>
    s
      .trim()
      .replace(/^(--[^\n]*\n\n?)+/g, '')
      .trim(),
  )
  .filter((s) => s.length > 0);

describe('cluster DDL', () => {
  it('creates every statement ON CLUSTER', () => {
    const creates = statements.filter((s) => s.startsWith('CREATE'));
    expect(creates.length).toBeGreaterThan(20);
    for (const s of creates) expect(s.split('\n')[0], s.slice(0, 80)).toContain("ON CLUSTER 'fabric'");
  });

  it('alters and drops ON CLUSTER too', () => {
    const others = statements.filter((s) => /^(ALTER|DROP)/.test(s));
    expect(others.length).toBeGreaterThan(5);
    for (const s of others) expect(s.split('\n')[0], s.slice(0, 80)).toContain("ON CLUSTER 'fabric'");
  });

  it('is ClickHouse SQL the engine parses, statement by statement', async () => {
    const { store, dispose } = await tempStore();
    try {
      for (const s of statements) {
        const [r] = await store.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: s });
        expect(r?.f.length, s.slice(0, 80)).toBeGreaterThan(0);
      }
    } finally {
      await dispose();
    }
  });

  it('gives every data table a Replicated engine with shard and replica macros, and a global Distributed table', () => {
    const tables = [
      'gpu_samples',
      'host_samples',
      'link_samples',
      'gpu_1m',
      'gpu_1h',
      'host_1m',
      'host_1h',
      'link_1m',
      'link_1h',
      'gpu_region_1m',
      'gpu_region_1h',
      'host_region_1m',
      'host_region_1h',
      'inventory',
      'topology',
      'workloads',
      'scheduler_decisions',
      'extra_metrics',
    ];
    for (const t of tables) {
      const local = statements.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${t} ON CLUSTER`));
      expect(local, t).toBeDefined();
      expect(local).toMatch(
        /ENGINE = Replicated(Aggregating|Replacing)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/,
      );
      const global = statements.find((s) => s.startsWith(`CREATE OR REPLACE TABLE ${t}_global ON CLUSTER`));
      expect(global, `${t}_global`).toBe(
        `CREATE OR REPLACE TABLE ${t}_global ON CLUSTER 'fabric' AS ${t} ENGINE = Distributed('fabric', 'meridian', ${t}, rand()) SETTINGS skip_unavailable_shards = 1`,
      );
    }
  });

  it('keeps the engine arguments of Replacing tables after the replication path', () => {
    const inv = statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS inventory ON CLUSTER'));
    expect(inv).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ts)",
    );
  });

  it('drops the single-node dedup window (replicated tables dedup by default) and keeps the views on local tables', () => {
    expect(ddl).not.toContain('non_replicated_deduplication_window');
    expect(ddl).toContain("CREATE MATERIALIZED VIEW IF NOT EXISTS gpu_1m_mv ON CLUSTER 'fabric' TO gpu_1m AS SELECT");
    expect(ddl).toMatch(/gpu_1h_mv ON CLUSTER 'fabric' TO gpu_1h AS SELECT .* FROM gpu_1m GROUP BY/);
  });

  it('rejects a cluster name that could inject SQL', () => {
    expect(() => renderClusterDdl("x' ; DROP TABLE y")).toThrow(/--cluster: .* is not a valid cluster name/);
  });
});
