/** One device held by one workload, as any path (kubelet, cgroups) reads it. */
import type { AssignmentOrchestrator } from '@meridian/store';
import type { DeviceRef } from './devices.js';

export interface Holder {
  readonly orchestrator: Exclude<AssignmentOrchestrator, ''>;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly workload_id: string;
}

export interface Assignment extends Holder {
  readonly device: DeviceRef;
}

/** Two holders are the same workload on the device (a refresh that changes nothing writes nothing). */
export function sameHolder(a: Holder, b: Holder): boolean {
  return (
    a.orchestrator === b.orchestrator &&
    a.namespace === b.namespace &&
    a.pod === b.pod &&
    a.container === b.container &&
    a.workload_id === b.workload_id
  );
}

/** The characters of the random suffixes Kubernetes puts on generated names (no vowels, no 0/1/3). */
const K8S_RAND = '[bcdfghjklmnpqrstvwxz2456789]';
const POD_SUFFIX = new RegExp(`-${K8S_RAND}{5}$`);
const TEMPLATE_HASH = new RegExp(`-${K8S_RAND}{6,10}$`);

/**
 * The controller a pod most likely belongs to, from its name alone (the PodResources API gives no
 * owner): a Deployment's `name-<hash>-<rand>`, a Job's `name-<rand>` (or an indexed one's
 * `name-<i>-<rand>`), a StatefulSet's `name-<ordinal>`. The workload observer names workloads from
 * their owners; this is the same name for the common controllers, and the pod's own name otherwise.
 */
export function podWorkload(pod: string): string {
  let name = pod;
  if (POD_SUFFIX.test(name)) {
    name = name.replace(POD_SUFFIX, '');
    name = name.replace(TEMPLATE_HASH, '');
  }
  name = name.replace(/-\d+$/, '');
  return name === '' ? pod : name;
}
