export {
  topologyFileSchema,
  topologyName,
  regionSchema,
  linkSchema,
  hostGroupSchema,
  gpuSpecSchema,
  hostRuleSchema,
  routeFactorSchema,
  checkTopology,
  linkMatches,
  DEFAULT_ROUTE_FACTOR,
} from './schema.js';
export type { TopologyFile, TopologyRegion, TopologyLink, HostRule } from './schema.js';
export { parseTopology, TopologyError, lineOf, keyPath } from './parse.js';
export { applyTopology, topologyRows, TOPOLOGY_SOURCE } from './apply.js';
export type { ApplyResult } from './apply.js';
export { regionOfHost } from './hosts.js';
export type { RegionOfHost } from './hosts.js';
export { registerTopologyCommand } from './cli.js';
