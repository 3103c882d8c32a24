export type { Move, MoveOutcome, Executor } from './executor.js';
