/**
 * @meridian/fabric: what a real fabric feeds Meridian besides telemetry. Each orchestrator has its
 * own folder (an observer that writes `workloads` rows, and what the scheduler's executor needs from
 * it); `topology/` reads the fabric's regions, links and hosts from a file.
 */
export * from './topology/index.js';
export * from './kubernetes/index.js';
export * from './slurm/index.js';
export { registerObserveCommand, loadObserveFile, observeFileSchema, ObserveConfigError } from './observe-cli.js';
export type { ObserveFile } from './observe-cli.js';
