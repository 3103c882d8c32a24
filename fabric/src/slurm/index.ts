/** Slurm: the observer (jobs and nodes to the store), the mover the scheduler's executor drives, and local clusters for tests. */
export { runSlurm, SlurmCommandError, type SlurmTarget, type RunOptions } from './command.js';
export { parseComment, commentForMove, DEFAULT_COMMENT, type MeridianComment } from './comment.js';
export {
  slurmConfigSchema,
  slurmClusterSchema,
  parseSlurmConfig,
  clusterName,
  type SlurmConfig,
  type SlurmConfigInput,
  type SlurmClusterConfig,
} from './config.js';
export { clusterReader, cliReader, restReader, type ClusterReader } from './client.js';
export { jobState, gpuRequest, toSlurmJob, workloadRow, inventoryRows, type SlurmJob } from './jobs.js';
export { parseSlurmJson, squeueSchema, sinfoSchema, type SqueueJob, type SinfoNode } from './schema.js';
export { SlurmObserver, ORCHESTRATOR_UP, liveJobs, type ObserverPass, type ClusterRead } from './observer.js';
export { MoveJournal, type JournalEntry } from './journal.js';
export { SlurmMover, type SlurmMoverOptions, type MoveRequest, type MoveResult, type RecoverOutcome } from './mover.js';
export { clusterJobs, sbatchArgs } from './ops.js';
export {
  startLocalSlurm,
  ensureSlurmInstalled,
  waitFor,
  SLURM_INSTALL_COMMAND,
  type LocalSlurm,
  type LocalCluster,
  type LocalClusterSpec,
} from './local-cluster.js';
