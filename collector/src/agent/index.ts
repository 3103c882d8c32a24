export { startAgent } from './agent.js';
export type { Agent, AgentOptions } from './agent.js';
export { registerCollectCommand, runCollect } from './command.js';
