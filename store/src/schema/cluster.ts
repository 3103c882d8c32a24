import { dataTables, onCluster, type Flavor } from './ddl.js';
import { migrations, migrationsTableDdl } from './migrations.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/**
 * The whole schema for a ClickHouse cluster, as text for an operator to review and apply:
 * - local tables with Replicated* engines, one shard per region ({shard} = region) and replicas
 *   inside it ({replica} = host), created ON CLUSTER;
 * - materialized views on the local tables, so each shard rolls up its own rows;
 * - `<table>_global` Distributed tables for fleet-wide reads, skipping unavailable shards so one
 *   region being down does not blank every dashboard.
 * Collectors write to their own region's local tables; the global tables are for reads.
 */
export function renderClusterDdl(cluster: string, database = 'meridian'): string {
  if (!IDENT.test(cluster))
    throw new Error(`--cluster: "${cluster}" is not a valid cluster name (letters, digits, _ and -)`);
  if (!IDENT.test(database)) throw new Error(`--database: "${database}" is not a valid database name`);
  const f: Flavor = { cluster };
  const out: string[] = [
    `-- Meridian schema for ClickHouse cluster '${cluster}'. Needs macros {shard} (the region) and {replica} (the host).`,
    `CREATE DATABASE IF NOT EXISTS ${database}${onCluster(f)}`,
    `USE ${database}`,
    migrationsTableDdl(f),
  ];
  for (const m of migrations) {
    out.push(`-- migration ${m.version}: ${m.description}`);
    out.push(...m.statements(f));
  }
  // Replaced rather than created if absent: a Distributed table holds no data, and `AS <table>` copies
  // the columns only when it is created, so re-applying after a migration that added columns must
  // create it again for the global reads to see them.
  out.push('-- global read tables over every region (re-created: they hold no data)');
  for (const t of dataTables()) {
    out.push(
      `CREATE OR REPLACE TABLE ${t}_global${onCluster(f)} AS ${t} ENGINE = Distributed('${cluster}', '${database}', ${t}, rand()) SETTINGS skip_unavailable_shards = 1`,
    );
  }
  return out.map((s) => (s.startsWith('--') ? s : `${s};`)).join('\n\n') + '\n';
}
