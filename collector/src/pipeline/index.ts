export { createPipeline } from './pipeline.js';
export type { Pipeline, PipelineOptions } from './pipeline.js';
export { withLabels } from './processors.js';
export type {
  Target,
  RowOf,
  Batch,
  BatchOf,
  Sink,
  Processor,
  Instrument,
  PipelineStats,
  TargetStats,
} from './types.js';
export { columnBatch, batchRowCount } from './column-batch.js';
export type { BatchHead } from './column-batch.js';
