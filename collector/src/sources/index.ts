/** Sources: each feeds the pipeline through the same small interface (see source.ts and README.md). */
export type {
  Source,
  SourceContext,
  SourceDeps,
  SourceFactory,
  SourceState,
  SourceRows,
  SourceTarget,
  Emit,
} from './source.js';
export { BaseSource } from './source.js';
export { SOURCE_FACTORIES, createSources } from './registry.js';
export { GpuDirectory } from './gpu-directory.js';
export { PeriodicTask, MAX_TIMER_MS } from './periodic.js';
export { SourceErrorCounters } from './errors.js';
export type { ErrorCount, ErrorReason } from './errors.js';
export * from './nvidia-smi/index.js';
export * from './inventory/index.js';
export * from './kernel-log/index.js';
export * from './dcgm/index.js';
export * from './host/index.js';
export * from './link-passive/index.js';
export * from './stamp-sender/index.js';
export * from './stamp-reflector/index.js';
export { CounterTracker } from './counters.js';
export type { CounterStep } from './counters.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { emitRecords, toSampleRow } from './emit.js';
