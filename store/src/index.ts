/**
 * @meridian/store: the ClickHouse schema, migrations, and typed writers and readers over one client
 * API with two targets (embedded chDB by default, or a ClickHouse server).
 */
export type {
  StoreOptions,
  SampleRow,
  SampleValue,
  RowError,
  WriteResult,
  WriteOptions,
  SampleWriter,
  PreparedWrite,
  MigrationResult,
  QueryParams,
} from './types.js';
export { openStore, resolveStoreOptions, StoreLockedError, insertSettings } from './store.js';
export { recordEndpoint, holderEndpoint } from './lock.js';
export type { HolderEndpoint } from './lock.js';
export type { Store } from './store.js';
export { validateSampleRows } from './validate.js';
export { validateColumns } from './validate-columns.js';
export { stringColumn, constantColumn, rowsToColumns, isStringColumn } from './columns.js';
export type { SampleColumns, SampleColumn, NumberColumn, StringColumn, NumericArray } from './columns.js';
export { SampleColumnsBuilder } from './columns-builder.js';
export type { LabelField, ColumnsBuilderSpec } from './columns-builder.js';
export { sliceColumns, concatColumns, columnsToRows } from './columns-concat.js';
export { resolveStoreTarget, namedStoreTarget, targetOptions, readStorePassword, StoreTargetError } from './target.js';
export type { StoreTarget, TargetChoice, TargetSources } from './target.js';
export { migrations, regionRollupSelect, renderClusterDdl } from './schema/index.js';
export type {
  TableRows,
  AuxTable,
  InventoryRow,
  TopologyRow,
  TopologyHistoryRow,
  WorkloadRow,
  DecisionRow,
  ExtraMetricRow,
} from './schema/aux.js';
export { OPEN_END_MS } from './schema/attribution.js';
export type { GpuAssignmentRow, AssignmentOrchestrator } from './schema/attribution.js';
export type { PodWorkloadRow } from './schema/pod-workloads.js';
export { registerStoreCommands } from './cli.js';
export {
  startClickHouseHttp,
  DEFAULT_HTTP_PORT,
  DEFAULT_HTTP_USER,
  passwordFileFor,
  ClickHouseHttpError,
} from './http/index.js';
export type { ClickHouseHttpOptions, ClickHouseHttpServer } from './http/index.js';
