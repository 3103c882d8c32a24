/**
 * NVIDIA XID events from the kernel log. The driver prints them as
 *   NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.
 * (older drivers omit "PCI:"). Lines come from /dev/kmsg ("pri,seq,usec,flags;message") or from
 * dmesg-style text ("[  123.456] message"); both prefixes are understood.
 */

export interface XidEvent {
  /** Normalised PCI address "domain:bus:device" (domain as a number, bus/device lower-case hex). */
  readonly pci: string;
  readonly xid: number;
  /** The record's sequence number, on a /dev/kmsg line: it only grows, so a replay is told apart. */
  readonly seq?: number;
  /** Seconds since boot when the kernel logged it, when the line carries it. */
  readonly uptimeSec?: number;
  readonly message: string;
}

const XID = /NVRM: Xid \((?:PCI:)?([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.[0-7])?\): (\d+)/;
const KMSG_PREFIX = /^\d+,(\d+),(\d+),[^;]*;/;
const DMESG_PREFIX = /^\[\s*(\d+\.\d+)\]\s*/;

/** "00000000:01:00.0", "0000:01:00" → "0:01:00": the key that joins XID lines to nvidia-smi's pci_bus_id. */
export function pciKey(busId: string): string | undefined {
  const m = /^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})/.exec(busId.trim());
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return `${Number.parseInt(m[1], 16)}:${m[2].toLowerCase()}:${m[3].toLowerCase()}`;
}

export function parseXidLine(line: string): XidEvent | undefined {
  const m = XID.exec(line);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  const k = KMSG_PREFIX.exec(line);
  const d = k ? undefined : DMESG_PREFIX.exec(line);
  const uptimeSec = k?.[2] ? Number(k[2]) / 1e6 : d?.[1] ? Number(d[1]) : undefined;
  const seq = k?.[1] ? Number(k[1]) : undefined;
  const xid = Number(m[4]);
  const pci = pciKey(`${m[1]}:${m[2]}:${m[3]}`);
  if (!pci || !Number.isSafeInteger(xid)) return undefined;
  const message = line.slice(line.indexOf('NVRM:')).trim();
  return {
    pci,
    xid,
    message,
    ...(seq !== undefined && Number.isSafeInteger(seq) ? { seq } : {}),
    ...(uptimeSec !== undefined && Number.isFinite(uptimeSec) ? { uptimeSec } : {}),
  };
}
