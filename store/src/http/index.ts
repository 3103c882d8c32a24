/** ClickHouse's HTTP interface over the embedded store (see server.ts). */
export { startClickHouseHttp, DEFAULT_HTTP_PORT } from './server.js';
export type { ClickHouseHttpOptions, ClickHouseHttpServer } from './server.js';
export { DEFAULT_HTTP_USER, passwordFileFor } from './auth.js';
export { ClickHouseHttpError } from './errors.js';
