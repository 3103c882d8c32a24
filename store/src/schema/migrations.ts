import { createHash } from 'node:crypto';
import { ENTITIES } from '@meridian/catalog';
import { auxDdl, onCluster, rawTableDdl, rollupDdl, type Flavor } from './ddl.js';

/**
 * Versioned migrations. Each is applied once and recorded in `schema_migrations` with a checksum of
 * its single-node DDL, so a changed migration is noticed rather than silently skipped. New schema goes
 * in a new migration; applied ones are never edited.
 */
export interface Migration {
  readonly version: string;
  readonly description: string;
  statements(f: Flavor): string[];
}

export const migrations: readonly Migration[] = [
  {
    version: '0001_raw_tables',
    description: 'Wide raw tables: gpu_samples, host_samples, link_samples',
    statements: (f) => ENTITIES.map((e) => rawTableDdl(e, f)),
  },
  {
    version: '0002_rollups',
    description: '1-minute and 1-hour rollups through materialized views',
    statements: (f) => ENTITIES.flatMap((e) => rollupDdl(e, f)),
  },
  {
    version: '0003_aux_tables',
    description: 'inventory, topology, workloads, scheduler_decisions, extra_metrics',
    statements: (f) => auxDdl(f),
  },
];

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.statements({}).join(';\n')).digest('hex').slice(0, 16);
}

export function migrationsTableDdl(f: Flavor): string {
  const engine = f.cluster
    ? "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', applied_at)"
    : 'ReplacingMergeTree(applied_at)';
  return `CREATE TABLE IF NOT EXISTS schema_migrations${onCluster(f)} (version String, description String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ${engine} ORDER BY version`;
}
