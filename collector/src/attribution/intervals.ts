/**
 * Turns successive readings of "who holds which device" into gpu_assignments rows: a row when an
 * interval starts (open: ts_end = OPEN_END_MS), the same row again with its end when it ends. A
 * reading that changes nothing writes nothing, so a 10 s refresh costs no rows in a steady state.
 *
 * The first reading also writes an idle interval for every device it knows that nobody holds: it
 * closes, for readers, an interval that a previous run (killed before it could write the end)
 * left open, because the latest interval at or before an instant is the one that counts.
 */
import { OPEN_END_MS, type GpuAssignmentRow } from '@meridian/store';
import { sameHolder, type Assignment } from './assignment.js';
import { deviceKey, type DeviceRef } from './devices.js';

export interface IntervalIdentity {
  readonly source: string;
  readonly region: string;
  readonly host: string;
}

export class AssignmentIntervals {
  private readonly open = new Map<string, { assignment: Assignment; row: GpuAssignmentRow }>();
  private first = true;

  constructor(private readonly id: IntervalIdentity) {}

  /** How many intervals are open now. */
  get size(): number {
    return this.open.size;
  }

  /** The rows a reading at `now` adds: ends of what stopped, starts of what began. */
  update(now: number, assignments: readonly Assignment[], known: readonly DeviceRef[] = []): GpuAssignmentRow[] {
    const rows: GpuAssignmentRow[] = [];
    const next = new Map<string, Assignment>();
    // One holder per device: a device listed twice (two containers of a pod) keeps the first.
    for (const a of assignments) if (!next.has(deviceKey(a.device))) next.set(deviceKey(a.device), a);
    for (const [key, cur] of this.open) {
      const a = next.get(key);
      if (a && sameHolder(a, cur.assignment)) continue;
      rows.push({ ...cur.row, ts_end: now, updated: now });
      this.open.delete(key);
    }
    for (const [key, a] of next) {
      if (this.open.has(key)) continue;
      const row = this.row(now, a);
      this.open.set(key, { assignment: a, row });
      rows.push(row);
    }
    if (this.first) {
      this.first = false;
      const idle = new Map(known.map((d) => [deviceKey(d), d] as const));
      for (const [key, d] of idle) {
        if (!next.has(key)) rows.push(this.idleRow(now, d));
      }
    }
    return rows;
  }

  /** Ends every open interval (the collector is stopping): the rows to write. */
  closeAll(now: number): GpuAssignmentRow[] {
    const rows = [...this.open.values()].map((o) => ({ ...o.row, ts_end: now, updated: now }));
    this.open.clear();
    return rows;
  }

  private row(now: number, a: Assignment): GpuAssignmentRow {
    return {
      ts: now,
      ts_end: OPEN_END_MS,
      updated: now,
      ...this.id,
      gpu_uuid: a.device.gpu_uuid,
      mig_instance: a.device.mig_instance,
      device_id: a.device.device_id,
      orchestrator: a.orchestrator,
      namespace: a.namespace,
      pod: a.pod,
      container: a.container,
      workload_id: a.workload_id,
    };
  }

  private idleRow(now: number, d: DeviceRef): GpuAssignmentRow {
    return {
      ts: now,
      ts_end: OPEN_END_MS,
      updated: now,
      ...this.id,
      gpu_uuid: d.gpu_uuid,
      mig_instance: d.mig_instance,
      device_id: d.device_id,
      orchestrator: '',
      namespace: '',
      pod: '',
      container: '',
      workload_id: '',
    };
  }
}
