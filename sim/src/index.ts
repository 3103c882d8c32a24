/**
 * @meridian/sim: a seeded, deterministic twin of a multi-region GPU fabric.
 */
export { Twin, INFERENCE_P99_METRIC } from './twin.js';
export type { TwinOptions, TickOutput, TickSamples, TwinStats } from './twin.js';
export {
  loadScenario,
  parseScenario,
  builtinScenarios,
  scenarioLabel,
  ScenarioError,
  SCENARIO_DIR,
} from './scenario.js';
export type { Scenario, ScenarioRegion, ScenarioLink, ScenarioEvent } from './scenario.js';
export { Fabric } from './fabric.js';
export type { Region, Link, GpuModel } from './fabric.js';
export { greatCircleKm, oneWayMs, baseRttMs } from './geo.js';
export { PROBES_PER_S } from './network.js';
export {
  copies,
  detectLayout,
  readTrace,
  traceRegion,
  traceWorkloads,
  type TraceLayout,
  type TracePod,
  type TracedWorkload,
} from './trace.js';
export type { Workload, WorkloadSpec, WorkloadKind, CommClass } from './workloads.js';
export { InterimPlanner } from './planner.js';
export type { Planner, PlannedPass } from './planner.js';
export { TwinRunner, TWIN_BATCH_S, twinBatchRows } from './runner.js';
export type { RowCounts } from './runner.js';
export { Rng } from './rng.js';
export { seedFleet, seedInstants } from './seed/history.js';
export type { FleetSeedOptions, FleetSeedResult } from './seed/history.js';
export { bulkInsertSql, bulkRegionInsertSql, bulkSeedAux, bulkSeedPlan, fleetLayout, fleetOf } from './seed/bulk.js';
export type { Fleet, SeedPlan as BulkSeedChunk } from './seed/bulk.js';
export { sampleValue, valueSql } from './seed/values.js';
export { parseDurationS, formatDurationS } from './duration.js';
export { projectObservation, scenarioFromObservation, whatIfEngine, workloadsFromObservation } from './whatif.js';
