/**
 * Which simulated workload holds which GPU, as `gpu_assignments` intervals (store migration 0006),
 * so the demo's GPU table and dashboards show whose job is on each GPU as a real collector's
 * attribution would: an interval opens when a workload takes a GPU and is written again with its
 * end when it lets go. The first tick also states every free GPU as idle. Deterministic: derived
 * from the twin's state only.
 */
import { OPEN_END_MS, type GpuAssignmentRow } from '@meridian/store';
import { SIM_SOURCE } from '../rows.js';
import type { TwinState } from './state.js';

interface Held {
  readonly row: GpuAssignmentRow;
}

export class AssignmentRows {
  private readonly held = new Map<number, Held>();
  private first = true;

  constructor(private readonly s: TwinState) {}

  /** The interval rows of the tick stamped `ts`: ends of what was released, starts of what was taken. */
  tick(ts: number): GpuAssignmentRow[] {
    const now = new Map<number, { id: string; kind: string; rank: number }>();
    for (const w of this.s.running) {
      w.alloc.forEach((g, rank) => {
        if (!now.has(g)) now.set(g, { id: w.id, kind: w.kind, rank });
      });
    }
    const rows: GpuAssignmentRow[] = [];
    for (const [g, h] of this.held) {
      if (now.get(g)?.id === h.row.workload_id) continue;
      rows.push({ ...h.row, ts_end: ts, updated: ts });
      this.held.delete(g);
    }
    for (const [g, w] of now) {
      if (this.held.has(g)) continue;
      // A simulated workload is stated as Kubernetes would show it: its kind as the namespace, one pod per GPU.
      const row = this.row(g, ts, {
        orchestrator: 'kubernetes',
        namespace: w.kind,
        pod: `${w.id}-${w.rank}`,
        workload_id: w.id,
      });
      this.held.set(g, { row });
      rows.push(row);
    }
    if (this.first) {
      this.first = false;
      const gpus = this.s.fabric.gpuUuid.length;
      for (let g = 0; g < gpus; g++)
        if (!now.has(g)) rows.push(this.row(g, ts, { orchestrator: '', namespace: '', pod: '', workload_id: '' }));
    }
    return rows;
  }

  private row(
    g: number,
    ts: number,
    who: Pick<GpuAssignmentRow, 'orchestrator' | 'namespace' | 'pod' | 'workload_id'>,
  ): GpuAssignmentRow {
    const f = this.s.fabric;
    const uuid = f.gpuUuid[g] as string;
    return {
      ts,
      ts_end: OPEN_END_MS,
      updated: ts,
      source: SIM_SOURCE,
      region: this.s.regionName(f.gpuRegion[g] as number),
      host: f.hostNames[f.gpuHost[g] as number] as string,
      gpu_uuid: uuid,
      mig_instance: '',
      device_id: uuid,
      container: who.orchestrator === '' ? '' : 'main',
      ...who,
    };
  }
}
