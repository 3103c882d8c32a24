/**
 * Tables beside the wide sample tables: inventory, topology, workloads, the scheduler's audit trail
 * and metrics outside the catalog. Low-volume, so they are written as JSONEachRow.
 * Timestamps are epoch milliseconds (UTC) on the way in; rows come back with them as strings.
 */
import type { GpuAssignmentRow } from './attribution.js';
import type { PodWorkloadRow } from './pod-workloads.js';

export interface InventoryRow {
  ts: number;
  source: string;
  region: string;
  host: string;
  gpu_uuid: string;
  gpu_index?: number;
  model?: string;
  serial?: string;
  driver_version?: string;
  cuda_version?: string;
  memory_total?: number;
  mig_mode?: string;
  /** For a MIG instance: its parent GPU's UUID; empty for a whole GPU. */
  mig_parent_uuid?: string;
  mig_profile?: string;
  ecc_mode?: string;
  power_limit?: number;
  pcie_gen_max?: number;
  pcie_width_max?: number;
  tdp?: number;
}

export interface TopologyRow {
  updated: number;
  source: string;
  kind: 'region' | 'host' | 'link';
  /** Region name, host name, or link id "a->b". */
  id: string;
  region: string;
  region_to?: string;
  lat?: number;
  lon?: number;
  route_km?: number;
  capacity_gbps?: number;
  equipment_delay_ms?: number;
  gpus?: number;
}

/** A version of a topology entity (migration 0010); `removed` 1 marks when an apply dropped it. */
export interface TopologyHistoryRow extends TopologyRow {
  removed?: number;
}

export interface WorkloadRow {
  ts: number;
  source: string;
  workload_id: string;
  kind: 'training' | 'inference' | 'batch';
  comm_class: 'independent' | 'inference' | 'pipeline' | 'data_parallel';
  gpus: number;
  region: string;
  checkpoint_bytes: number;
  state: 'queued' | 'running' | 'migrating' | 'done' | 'failed';
  priority?: number;
  pinned?: number;
  // Columns below were added by migration 0005_workload_fields: the planner's feasibility and cost
  // need them, and a store-read Observation had no other way to learn them.
  /** Other workloads this one exchanges per-step traffic with (pipeline stages, low-comm DP shards). */
  coupled_with?: string[];
  /** GPUs per replica of an inference set (a Deployment may split across regions); 0: moves whole. */
  replica_gpus?: number;
  /** GPU model the workload needs; empty: any. */
  gpu_model?: string;
  /** Smallest per-GPU memory the workload needs, bytes; 0: any. */
  min_gpu_memory?: number;
  /** When the last checkpoint was written (epoch ms); absent or null: unknown. */
  last_checkpoint_ts?: number | null;
  /** Data-parallel gang that syncs rarely (DiLoCo, hierarchical all-reduce), so it may span regions. */
  low_comm?: number;
  /** Most RTT its coupled stages tolerate between regions, ms; 0: no budget. */
  latency_budget_ms?: number;
  // Added by migration 0009_workload_orchestrator_fields: the orchestrator's own terms.
  /** The queue it was submitted to (a Slurm partition, a Kueue LocalQueue); empty when none. */
  partition?: string;
  /** Its quality of service (a Slurm QoS); empty when none. */
  qos?: string;
  /** The orchestrator's own priority, on its own scale (Slurm's job priority); `priority` is Meridian's. */
  orchestrator_priority?: number | null;
  /** 1 when the orchestrator may requeue (restart) it; 0 when a restart would lose it. */
  requeueable?: number;
}

export interface DecisionRow {
  ts: number;
  decision_id: string;
  pass_id: string;
  workload_id: string;
  action: string;
  region_from: string;
  region_to: string;
  reason: string;
  /** JSON snapshot of the inputs the decision saw. */
  inputs: string;
  /** JSON of the scores (benefit, cost, margin …). */
  scores: string;
  limits: string[];
  executor: string;
  outcome: string;
  benefit: number;
  cost: number;
}

export interface ExtraMetricRow {
  ts: number;
  source: string;
  region: string;
  host: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface TableRows {
  inventory: InventoryRow;
  topology: TopologyRow;
  topology_history: TopologyHistoryRow;
  workloads: WorkloadRow;
  scheduler_decisions: DecisionRow;
  extra_metrics: ExtraMetricRow;
  gpu_assignments: GpuAssignmentRow;
  pod_workloads: PodWorkloadRow;
}

export type AuxTable = keyof TableRows;
