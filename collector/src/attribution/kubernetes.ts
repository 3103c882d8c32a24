/**
 * The kubelet's PodResources answer → one assignment per GPU device. Only GPU resources count
 * (`nvidia.com/gpu`, `nvidia.com/mig-*`); a container with CPUs or other devices is not a holder.
 * A malformed entry (no pod name, a device id that is not a string) is skipped and counted by the
 * caller from `problems`, never thrown: the rest of the answer is still used.
 */
import { podWorkload, type Assignment } from './assignment.js';
import { isGpuResource, resolveDevice, type DeviceRef, type MigDirectory } from './devices.js';
import type { AllocatableResourcesResponse, ListPodResourcesResponse } from './podresources.js';

export interface KubernetesRead {
  readonly assignments: Assignment[];
  /** One line per skipped entry, naming the pod and the field. */
  readonly problems: string[];
}

export function assignmentsFromList(res: ListPodResourcesResponse, migs?: MigDirectory): KubernetesRead {
  const assignments: Assignment[] = [];
  const problems: string[] = [];
  if (!Array.isArray(res.pod_resources)) {
    return { assignments, problems: ['pod_resources: not a list'] };
  }
  for (const pod of res.pod_resources) {
    if (!pod.name || !pod.namespace) {
      if ((pod.containers ?? []).some((c) => (c.devices ?? []).some((d) => isGpuResource(d.resource_name))))
        problems.push(`pod_resources[].${!pod.name ? 'name' : 'namespace'}: empty for a pod that holds GPUs`);
      continue;
    }
    for (const c of pod.containers ?? []) {
      for (const d of c.devices ?? []) {
        if (!isGpuResource(d.resource_name)) continue;
        for (const id of d.device_ids ?? []) {
          const device = typeof id === 'string' ? resolveDevice(id, migs) : undefined;
          if (!device) {
            problems.push(`${pod.namespace}/${pod.name}: containers[${c.name}].devices.device_ids: empty device id`);
            continue;
          }
          assignments.push({
            device,
            orchestrator: 'kubernetes',
            namespace: pod.namespace,
            pod: pod.name,
            container: c.name,
            workload_id: `${pod.namespace}/${podWorkload(pod.name)}`,
          });
        }
      }
    }
  }
  return { assignments, problems };
}

/** The node's GPU devices, whether held or not (so an idle GPU gets an idle interval). */
export function devicesFromAllocatable(res: AllocatableResourcesResponse, migs?: MigDirectory): DeviceRef[] {
  return (res.devices ?? [])
    .filter((d) => isGpuResource(d.resource_name))
    .flatMap((d) => (d.device_ids ?? []).map((id) => resolveDevice(id, migs)))
    .filter((d): d is DeviceRef => d !== undefined);
}
