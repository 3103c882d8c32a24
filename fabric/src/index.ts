/**
 * @meridian/fabric: what a real fabric feeds Meridian besides telemetry. Each orchestrator has its
 * own folder (an observer that writes `workloads` rows, and what the scheduler's executor needs from
 * it); `topology/` reads the fabric's regions, links and hosts from a file.
 */
// slurm/ (issue 20)
export * from './slurm/index.js';
