/**
 * @meridian/runtime: the Node plumbing every Meridian process shares, so each is written once: files
 * that hold secrets, HTTP servers with limits, and the tracing switch.
 */
export { writeSecretFile, readSecretFile, SecretFileModeError } from './secret-file.js';
export { boundedHttpServer, DEFAULT_LIMITS } from './http-server.js';
export type { ServerLimits } from './http-server.js';
export { tracingWanted, startTracingSdk } from './tracing.js';
export type { TracingSdk } from './tracing.js';
export { onPath, installDebianPackages, aptInstallCommand } from './debian-packages.js';
export type { DebianInstall } from './debian-packages.js';
