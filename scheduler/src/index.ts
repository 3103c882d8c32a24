/**
 * @meridian/scheduler: the feedback rebalancer (observe → assess → verify → plan → act → record),
 * its executors, audit trail, alerts and HTTP API.
 */
export type { Move, MoveOutcome, Executor, PlaceOutcome } from './executor.js';
export type {
  Observation,
  RegionObservation,
  LinkObservation,
  WorkloadObservation,
  CommClass,
  WorkloadKind,
} from './observation.js';
export { configSchema, parseConfig, loadConfigFile, readSecret, ConfigError } from './config.js';
export type { SchedulerConfig, ConfigInput, ExecutorConfig } from './config.js';
export { createScheduler, Scheduler, PlanNotPendingError } from './scheduler.js';
export type {
  SchedulerOptions,
  PassReport,
  PendingPlan,
  SchedulerState,
  ExecutedMove,
  PlacementState,
} from './scheduler.js';
export { assess } from './assess.js';
export type { Assessment, RegionAssessment, LinkAssessment, RegionStatus } from './assess.js';
export { plan, solve } from './plan.js';
export type { Plan, PlannedMove, Rejection, RejectReason, PlanResult } from './plan.js';
export { emptyMemory } from './memory.js';
export { placementWeights } from './placement.js';
export type { Placement } from './placement.js';
export type { SchedulerMemory } from './memory.js';
export { loadSolver, solveMilp, milpSize } from './solve-milp.js';
export { solveGreedy } from './solve-greedy.js';
export type { Problem, Candidate, Solution } from './problem.js';
export { readObservation, workloadFromRow, FIBER_MS_PER_KM } from './reader.js';
export { DryRunExecutor, WebhookExecutor } from './executors.js';
// The Kubernetes executor and the HTTP API load heavy dependencies: they are reached lazily,
// through createExecutor(config) and Scheduler.startApi().
export type { KubernetesExecutorOptions, PlacementPolicyRef } from './executor-kubernetes.js';
export { StoreSink, GrafanaSink, AlertmanagerSink, WebhookSink, signBody } from './sinks.js';
export type { Sink, PassRecord, DecisionRecord } from './sinks.js';
export type { PostableAlert, AlertLabels } from './alerts.js';
export { SchedulerMetrics } from './metrics.js';
export type { ApiToken, ApiBackend, RunningApi, DecisionFilter, Role } from './api.js';
export { createExecutor, createSinks, effectiveConfig } from './factory.js';
export { registerScheduleCommand, summarizePass } from './cli.js';
export { startTracing, tracingWanted } from './tracing.js';
