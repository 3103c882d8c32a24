export { migrations, migrationChecksum, migrationsTableDdl } from './migrations.js';
export type { Migration } from './migrations.js';
export { renderClusterDdl } from './cluster.js';
export { dataTables, AUX_TABLES, RETENTION_DAYS } from './ddl.js';
export { regionRollupSelect } from './columns.js';
