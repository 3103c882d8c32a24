/** GPU → workload attribution: its config schema, its factory and the component (see README.md). */
import type { CollectorConfig } from '../config/schema.js';
import type { SourceFactory } from '../sources/source.js';
import { AttributionSource } from './source.js';

export { attributionConfigSchema, type AttributionConfig } from './config.js';
export { AttributionSource, type AttributionSourceOptions, type AttributionStats } from './source.js';
export { AssignmentIntervals } from './intervals.js';
export { ownerOfCgroup, ownerOfPath, cgroupPaths, slurmJobFromEnviron, type CgroupOwner } from './cgroup.js';
export { resolveDevice, isGpuResource, type DeviceRef, type MigDirectory } from './devices.js';
export { assignmentsFromList, devicesFromAllocatable } from './kubernetes.js';
export { parseMigList, migInstancesFromXml, migDirectoryOf, MigInventory, type MigListEntry } from './mig.js';
export {
  KubeletPodResources,
  KubeletUnavailable,
  podResourcesService,
  PODRESOURCES_PROTO,
  KUBELET_SOCKET,
  PERMISSION_HINT,
} from './podresources.js';
export type { ListPodResourcesResponse, PodResources, AllocatableResourcesResponse } from './podresources.js';
export { parseComputeApps, assignmentsFromProcesses, holderOf } from './processes.js';
export { podWorkload, type Assignment, type Holder } from './assignment.js';

export const attributionFactory: SourceFactory<CollectorConfig> = {
  name: 'attribution',
  // It reads the GPUs nvidia-smi reads; a host without that source has none to attribute.
  enabled: (c) => c.attribution.enabled && c.sources.nvidiaSmi.enabled,
  create: (c, deps) =>
    new AttributionSource({
      mode: c.attribution.mode,
      intervalMs: c.attribution.intervalMs,
      processIntervalMs: c.attribution.processes.intervalMs,
      socket: c.attribution.kubelet.socket,
      kubeletTimeoutMs: c.attribution.kubelet.timeoutMs,
      command: c.attribution.processes.command ?? c.sources.nvidiaSmi.command,
      procRoot: c.attribution.processes.procRoot,
      slurmCluster: c.attribution.slurmCluster,
      knownGpus: () => deps.gpus.all().map((g) => ({ gpu_uuid: g.gpu_uuid, mig_instance: '', device_id: g.gpu_uuid })),
    }),
};
