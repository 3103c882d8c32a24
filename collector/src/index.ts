export {};
export * from './pipeline/index.js';
export * from './sink/index.js';
export * from './spool/index.js';
export * from './stamp/index.js';
export * from './parsers/index.js';
export { registerParseCommand, runParse } from './parsers/command.js';
export * from './config/index.js';
