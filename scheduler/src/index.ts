/**
 * @meridian/scheduler: the feedback rebalancer (observe → assess → verify → plan → act → record),
 * its executors, audit trail, alerts and HTTP API. The sources are in folders by stage: observe/,
 * assess/, plan/, act/, record/, api/.
 */
export type { Move, MoveOutcome, Executor, PlaceOutcome } from './act/executor.js';
export type {
  Observation,
  RegionObservation,
  LinkObservation,
  WorkloadObservation,
  CommClass,
  WorkloadKind,
} from './observe/observation.js';
export { configSchema, parseConfig, loadConfigFile, readSecret, ConfigError } from './config.js';
export type { SchedulerConfig, ConfigInput, ExecutorConfig } from './config.js';
export { createScheduler, Scheduler } from './scheduler.js';
export type { SchedulerOptions, PassReport, SchedulerState } from './scheduler.js';
export { PlanNotPendingError } from './act/approval.js';
export type { PendingPlan } from './act/approval.js';
export type { ExecutedMove } from './act/act.js';
export type { PlacementState } from './act/place.js';
export { assess } from './assess/assess.js';
export type { Assessment, RegionAssessment, LinkAssessment, RegionStatus } from './assess/assess.js';
export { plan } from './plan/plan.js';
export { solve } from './plan/solve.js';
export type { Plan, PlannedMove, Rejection, RejectReason, PlanResult } from './plan/types.js';
export { emptyMemory } from './memory.js';
export { placementWeights } from './plan/placement.js';
export type { Placement } from './plan/placement.js';
export type { SchedulerMemory } from './memory.js';
export { loadSolver, solveMilp, milpSize } from './plan/solve-milp.js';
export { solveGreedy } from './plan/solve-greedy.js';
export type { Problem, Candidate, Solution } from './plan/problem.js';
export { readObservation, workloadFromRow } from './observe/reader.js';
export { DryRunExecutor, WebhookExecutor } from './act/executors.js';
export { SlurmExecutor } from './act/executor-slurm.js';
export type { SlurmExecutorOptions } from './act/executor-slurm.js';
// The Kubernetes executor and the HTTP API load heavy dependencies: they are reached lazily,
// through createExecutor(config) and Scheduler.startApi().
export type { KubernetesExecutorOptions, PlacementPolicyRef } from './act/executor-kubernetes.js';
export { StoreSink, GrafanaSink, AlertmanagerSink, WebhookSink, signBody } from './record/sinks.js';
export type { Sink, PassRecord, DecisionRecord } from './record/sinks.js';
export type { PostableAlert, AlertLabels } from './record/alerts.js';
export { SchedulerMetrics } from './metrics.js';
export type { ApiToken, ApiBackend, Role } from './api/types.js';
export { projectPlanner, WhatIfError } from './api/whatif.js';
export type {
  WhatIfEngine,
  WhatIfEvent,
  WhatIfInput,
  WhatIfOutcome,
  WhatIfRequest,
  WhatIfResult,
} from './api/whatif.js';
export type { RunningApi, ServerLimits } from './api/server.js';
export type { DecisionFilter } from './record/decisions-query.js';
export { createExecutor, createSinks, effectiveConfig } from './act/factory.js';
export { registerScheduleCommand, summarizePass, type ScheduleCommandDeps } from './cli.js';
export { parseWhatIf, whatIfOnce } from './api/whatif-cli.js';
