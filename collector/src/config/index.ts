export { collectorConfigSchema } from './schema.js';
export type { CollectorConfig, CollectorConfigInput } from './schema.js';
export { loadConfig, parseConfig, redactConfig, ConfigError } from './load.js';
export type { LoadedConfig, LoadOptions, CollectorSecrets } from './load.js';
export { envNameOf, knownEnvVariables, knownSettings, ENV_PREFIX } from './env.js';
