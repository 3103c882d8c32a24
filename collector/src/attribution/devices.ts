/**
 * What a device id handed out by the NVIDIA device plugin names: a whole GPU, or a MIG instance
 * of one. The kubelet reports the plugin's ids as they are:
 * - `GPU-<uuid>`: a whole GPU (`nvidia.com/gpu`);
 * - `GPU-<uuid>::<n>`: the n-th time-sliced replica of that GPU (the plugin's sharing mode);
 * - `MIG-GPU-<uuid>/<gi>/<ci>`: a MIG instance, as drivers before R470 named them;
 * - `MIG-<uuid>`: a MIG instance (R470+), which only the driver's inventory maps to its parent
 *   GPU and GI/CI (`nvidia-smi -q -x`, see MigDirectory).
 * Meridian's GPU rows name a MIG instance by its parent's UUID and "GI/CI", so that is what a
 * device resolves to when it can.
 */

/** Where a device's samples live in gpu_samples: the (parent) GPU and the MIG instance, if any. */
export interface DeviceRef {
  readonly gpu_uuid: string;
  /** "GI/CI" for a MIG instance, '' for a whole GPU (or a MIG instance the inventory does not know yet). */
  readonly mig_instance: string;
  /** The id as the orchestrator gave it. */
  readonly device_id: string;
}

/** MIG UUID → its parent GPU and "GI/CI", as the inventory reads them. */
export type MigDirectory = (migUuid: string) => { gpu_uuid: string; mig_instance: string } | undefined;

/** The resource names that are GPUs: `nvidia.com/gpu` and the mixed strategy's `nvidia.com/mig-<profile>`. */
export function isGpuResource(resource: string): boolean {
  return (
    resource === 'nvidia.com/gpu' || resource.startsWith('nvidia.com/mig-') || resource === 'nvidia.com/gpu.shared'
  );
}

const OLD_MIG = /^MIG-(GPU-[0-9a-fA-F-]+)\/(\d+)\/(\d+)$/;

/** Resolves one device id; undefined for an empty one. */
export function resolveDevice(id: string, migs?: MigDirectory): DeviceRef | undefined {
  const raw = id.trim();
  if (raw === '') return undefined;
  // Time-sliced replicas share the GPU: the suffix names a slot, not a device.
  const base = raw.replace(/::\d+$/, '');
  const old = OLD_MIG.exec(base);
  if (old) return { gpu_uuid: old[1]!, mig_instance: `${old[2]!}/${old[3]!}`, device_id: raw };
  if (base.startsWith('MIG-')) {
    const m = migs?.(base);
    if (m) return { gpu_uuid: m.gpu_uuid, mig_instance: m.mig_instance, device_id: raw };
  }
  return { gpu_uuid: base, mig_instance: '', device_id: raw };
}

/** The key of one device's samples: one assignment per key at a time. */
export function deviceKey(d: { gpu_uuid: string; mig_instance: string }): string {
  return `${d.gpu_uuid}|${d.mig_instance}`;
}
