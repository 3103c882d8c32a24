/**
 * NVIDIA's Xid catalogue: what each Xid the driver writes to the kernel log means, and the action
 * NVIDIA's catalogue recommends first ("Resolution Bucket (Immediate Action)"). The alert rules label
 * a GPU's Xid alert with both, so the person paged reads the next step, not a number. Only the Xids
 * NVIDIA lists as applying to A100/H100-class data-centre GPUs, and that a fleet meets, are kept; an
 * Xid not listed here still alerts, labelled as not in this table.
 *
 * SOURCES (read 2026-12):
 *  - https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html (Xid catalogue: mnemonic,
 *    description, immediate and investigatory resolution buckets, Ampere and newer)
 *  - https://docs.nvidia.com/deploy/a100-gpu-mem-error-mgmt/user-visible-statistics.html (48, 63,
 *    64, 94, 95: uncorrectable ECC and row remapping)
 */

/** NVIDIA's immediate-action buckets, as the catalogue names them. */
export type XidAction =
  'RESTART_APP' | 'RESET_GPU' | 'RESTART_BM' | 'WORKFLOW_NVLINK_ERR' | 'CONTACT_SUPPORT' | 'IGNORE';

/** What each bucket asks an operator to do, in words. */
export const XID_ACTION_TEXT: Readonly<Record<XidAction, string>> = {
  RESTART_APP: 'restart the application; if it recurs on this GPU, check the application, then run diagnostics',
  RESET_GPU: 'drain the GPU and reset it (nvidia-smi -r) when its work has moved',
  RESTART_BM: 'drain the node and reboot it; if it recurs, run diagnostics and contact support',
  WORKFLOW_NVLINK_ERR: 'follow NVIDIA’s NVLink workflow: drain, reset the GPU, check the NVLink/NVSwitch fabric',
  CONTACT_SUPPORT: 'drain the GPU and contact NVIDIA support with an nvidia-bug-report',
  IGNORE: 'no action: informational, or a consequence of an earlier Xid',
};

export interface XidDef {
  readonly code: number;
  /** NVIDIA's description. */
  readonly meaning: string;
  readonly action: XidAction;
}

/** One entry per Xid, in code order. */
export const XIDS: readonly XidDef[] = [
  { code: 8, meaning: 'GPU stopped processing', action: 'RESTART_APP' },
  { code: 13, meaning: 'Graphics engine exception', action: 'RESTART_APP' },
  { code: 31, meaning: 'GPU memory page fault', action: 'RESTART_APP' },
  { code: 32, meaning: 'Invalid or corrupted push buffer stream', action: 'RESTART_APP' },
  { code: 43, meaning: 'GPU stopped processing (application fault)', action: 'RESTART_APP' },
  { code: 45, meaning: 'Preemptive cleanup, due to previous errors', action: 'IGNORE' },
  { code: 48, meaning: 'Double-bit (uncorrectable) ECC error', action: 'RESET_GPU' },
  { code: 61, meaning: 'Internal micro-controller breakpoint/warning', action: 'RESET_GPU' },
  { code: 62, meaning: 'Internal micro-controller halt', action: 'RESET_GPU' },
  { code: 63, meaning: 'ECC page retirement or row remapping recorded', action: 'RESET_GPU' },
  { code: 64, meaning: 'ECC page retirement or row remapping recording failure', action: 'CONTACT_SUPPORT' },
  { code: 68, meaning: 'Video decoder (NVDEC) exception', action: 'RESTART_APP' },
  { code: 69, meaning: 'Graphics engine class error', action: 'RESTART_APP' },
  { code: 74, meaning: 'NVLink error', action: 'WORKFLOW_NVLINK_ERR' },
  { code: 79, meaning: 'GPU has fallen off the bus', action: 'RESTART_BM' },
  { code: 92, meaning: 'High single-bit ECC error rate', action: 'RESET_GPU' },
  { code: 94, meaning: 'Contained ECC error', action: 'RESTART_APP' },
  { code: 95, meaning: 'Uncontained ECC error', action: 'RESET_GPU' },
  { code: 109, meaning: 'Context switch timeout', action: 'RESTART_APP' },
  { code: 119, meaning: 'GSP RPC timeout', action: 'RESET_GPU' },
  { code: 120, meaning: 'GSP error', action: 'RESET_GPU' },
  { code: 140, meaning: 'Unrecovered ECC error', action: 'RESET_GPU' },
];

/** The entry for a code, or undefined for one this table does not list. */
export function xidInfo(code: number): XidDef | undefined {
  return XIDS.find((x) => x.code === code);
}
