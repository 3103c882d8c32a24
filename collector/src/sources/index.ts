/** Sources: each feeds the pipeline through the same small interface (see source.ts). */
export type { Source, SourceContext, SourceState, SourceRows, SourceTarget, Emit } from './source.js';
export { BaseSource } from './source.js';
export { SourceErrorCounters } from './errors.js';
export type { ErrorCount, ErrorReason } from './errors.js';
export { NvidiaSmiSource } from './nvidia-smi.js';
export type { NvidiaSmiSourceOptions, NvidiaSmiStats } from './nvidia-smi.js';
export { DcgmSource } from './dcgm.js';
export type { DcgmSourceOptions } from './dcgm.js';
export { HostSource } from './host.js';
export type { HostSourceOptions } from './host.js';
export { LinkPassiveSource } from './link-passive.js';
export type { LinkPassiveOptions } from './link-passive.js';
export { CounterTracker } from './counters.js';
export type { CounterStep } from './counters.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { emitRecords, toSampleRow } from './emit.js';
export { KernelLogFollower } from './kernel-log.js';
