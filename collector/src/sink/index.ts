export { createStoreSink } from './store-sink.js';
export type {
  StoreSink,
  StoreSinkOptions,
  StoreSinkEvents,
  StoreTarget,
  RetryPolicy,
  SinkStats,
} from './store-sink.js';
