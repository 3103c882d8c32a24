/**
 * @meridian/app: `meridian up`, the all-in-one. It wires the twin (or, with --real, this host's
 * collector) to the pipeline, the store, the scheduler, their APIs and the live terminal view.
 */
export { registerUpCommand, runUp, renderSummary } from './up.js';
export type { UpSummary } from './up.js';
export { runUpReal } from './up-real.js';
export { registerServeCommand, serveEmbedded } from './serve.js';
export type { ServedStore, ServeOptions } from './serve.js';
export type { RealSummary } from './up-real.js';
export { runUpSlurm } from './up-slurm.js';
export type { SlurmUpSummary } from './up-slurm.js';
export type { UpOptions, UpIO } from './up-types.js';
export { seedStore } from './seed.js';
export type { SeedOptions, SeedResult } from './seed.js';
// The twin's what-if engine, for the `meridian` command to inject into `schedule --whatif`.
export { whatIfEngine } from '@meridian/sim';
