export { openFileSpool } from './file-spool.js';
export type { FileSpoolOptions } from './file-spool.js';
export { createMemorySpool } from './memory-spool.js';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_AGE_MS } from './ledger.js';
export type { Spool, SpoolEntry, SpoolDrop, SpoolStats, SpoolBounds } from './types.js';
