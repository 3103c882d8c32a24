export { createStoreSink } from './store-sink.js';
export type {
  SpooledStoreSink,
  StoreSinkOptions,
  StoreSinkEvents,
  StoreTarget,
  RetryPolicy,
  SinkStats,
} from './store-sink.js';
export { reconnectingStore } from './reconnecting-store.js';
export type { ReconnectingStore, ClosableStoreTarget } from './reconnecting-store.js';
