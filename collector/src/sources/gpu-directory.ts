/**
 * Which GPU sits at which PCI address, as the latest `nvidia-smi -q -x` says. The inventory source
 * writes it; the kernel-log source reads it to attribute XID lines (the kernel names GPUs by PCI
 * address only). One instance per agent, handed to the factories in SourceDeps.
 */
import type { GpuAddress } from '../parsers/nvidia-smi-xml.js';
import { pciKey } from '../parsers/xid.js';

export class GpuDirectory {
  private byPci = new Map<string, GpuAddress>();
  private loadedOnce = false;
  private readonly onLoad: (() => void)[] = [];

  /** Takes a successful inventory read. An empty one keeps the previous addresses. */
  update(addresses: readonly GpuAddress[]): void {
    if (addresses.length > 0) {
      this.byPci = new Map(
        addresses.flatMap((a) => {
          const k = pciKey(a.pci_bus_id);
          return k ? [[k, a] as const] : [];
        }),
      );
    }
    if (this.loadedOnce) return;
    this.loadedOnce = true;
    for (const f of this.onLoad.splice(0)) f();
  }

  /** The GPU at a PCI key (see pciKey), if the inventory knows one. */
  at(key: string): GpuAddress | undefined {
    return this.byPci.get(key);
  }

  /** Every GPU the latest inventory read found. */
  all(): GpuAddress[] {
    return [...this.byPci.values()];
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Calls `f` once the first inventory read has succeeded (at once if it has). */
  whenLoaded(f: () => void): void {
    if (this.loadedOnce) f();
    else this.onLoad.push(f);
  }
}
