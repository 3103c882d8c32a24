/**
 * Turns the fabric's state into catalog samples (gpu, host, link), appended as columns to a builder
 * of the entity's RowShape, and aux rows (topology, inventory).
 */
import { isThrottled } from '@meridian/catalog';
import type { SampleColumnsBuilder, TableRows } from '@meridian/store';
import type { Fabric, Link } from './fabric.js';
import { probeLink } from './network.js';
import type { Rng } from './rng.js';
import { GPU_ROW, SIM_SOURCE, THROTTLE } from './rows.js';

/** Two decimals: the precision a real collector reports, and stable text for byte-identical output. */
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

const gpuValues: (number | null)[] = new Array<number | null>(GPU_ROW.metrics.length).fill(null);
const I = {
  util: GPU_ROW.index('util_gpu'),
  sm: GPU_ROW.index('util_sm_active'),
  occupancy: GPU_ROW.index('util_sm_occupancy'),
  tensor: GPU_ROW.index('util_tensor_active'),
  dram: GPU_ROW.index('util_dram_active'),
  grEngine: GPU_ROW.index('util_gr_engine_active'),
  mem: GPU_ROW.index('util_memory'),
  used: GPU_ROW.index('memory_used'),
  free: GPU_ROW.index('memory_free'),
  total: GPU_ROW.index('memory_total'),
  power: GPU_ROW.index('power_draw'),
  limit: GPU_ROW.index('power_limit'),
  energy: GPU_ROW.index('energy_total'),
  temp: GPU_ROW.index('temp_gpu'),
  tempMem: GPU_ROW.index('temp_memory'),
  clock: GPU_ROW.index('clock_sm'),
  clockMem: GPU_ROW.index('clock_mem'),
  bits: GPU_ROW.index('throttle_reasons'),
  throttled: GPU_ROW.index('throttled'),
  pstate: GPU_ROW.index('pstate'),
  sbe: GPU_ROW.index('ecc_sbe_volatile'),
  dbe: GPU_ROW.index('ecc_dbe_volatile'),
  xidLast: GPU_ROW.index('xid_last'),
  xidCount: GPU_ROW.index('xid_count'),
  pcieTx: GPU_ROW.index('pcie_tx'),
  pcieRx: GPU_ROW.index('pcie_rx'),
  nvTx: GPU_ROW.index('nvlink_tx'),
  nvRx: GPU_ROW.index('nvlink_rx'),
};

export function gpuRows(f: Fabric, ts: number, out: SampleColumnsBuilder): void {
  const v = gpuValues;
  for (let g = 0; g < f.gpuCount; g++) {
    const h = f.gpuHost[g] as number;
    // A failed host sends nothing, exactly as a dead collector would.
    if (f.hostFailed[h] === 1) continue;
    const m = f.gpuModel[g];
    if (!m) continue;
    const u = f.util[g] as number;
    const used = Math.round(f.memUsed[g] as number);
    const bits = f.throttle[g] as number;
    const busy = (bits & THROTTLE.gpuIdle) === 0;
    const inGang = f.job[g] !== -1 && (f.memFrac[g] as number) > 0.5;
    v[I.util] = r2(u);
    v[I.sm] = r2(u * 0.88);
    // Simulated DCGM profiling ratios, a fixed plausible relation to the modelled load (not measured):
    // the engine is busy nearly whenever NVML says so, SMs somewhat less, a training gang keeps its
    // tensor pipes busier than other work, and half the resident-warp slots are used.
    v[I.grEngine] = r2(u * 0.97);
    v[I.occupancy] = r2(u * 0.44);
    v[I.tensor] = r2(u * (inGang ? 0.62 : 0.26));
    v[I.dram] = r2(u * 0.5);
    v[I.mem] = r2(u * 0.55);
    v[I.used] = used;
    v[I.free] = m.memoryBytes - used;
    v[I.total] = m.memoryBytes;
    v[I.power] = r2(f.power[g] as number);
    v[I.limit] = m.tdpW;
    v[I.energy] = Math.round(f.energy[g] as number);
    v[I.temp] = r2(f.temp[g] as number);
    v[I.tempMem] = r2((f.temp[g] as number) + 4);
    v[I.clock] = Math.round(f.clock[g] as number);
    v[I.clockMem] = busy ? m.memClockMhz : 405;
    v[I.bits] = bits;
    v[I.throttled] = isThrottled(bits) ? 1 : 0;
    v[I.pstate] = busy ? 0 : 8;
    v[I.sbe] = f.sbe[g] as number;
    v[I.dbe] = 0;
    v[I.xidLast] = f.xidLast[g] as number;
    v[I.xidCount] = f.xidCount[g] as number;
    v[I.pcieTx] = Math.round(u * 6e7);
    v[I.pcieRx] = Math.round(u * 8e7);
    v[I.nvTx] = inGang ? Math.round(u * 2e9) : 0;
    v[I.nvRx] = inGang ? Math.round(u * 2e9) : 0;
    const r = f.regions[f.gpuRegion[g] as number];
    out.append(
      ts,
      [r?.name ?? '', f.hostNames[h] as string, f.gpuUuid[g] as string, f.gpuIndex[g] as number, m.model],
      v,
    );
  }
}

export function hostRows(f: Fabric, ts: number, out: SampleColumnsBuilder): void {
  for (let h = 0; h < f.hostNames.length; h++) {
    if (f.hostFailed[h] === 1) continue;
    const start = f.hostGpuStart[h] as number;
    const n = f.hostGpuCount[h] as number;
    let util = 0;
    let busy = 0;
    for (let g = start; g < start + n; g++) {
      util += f.util[g] as number;
      if (f.job[g] !== -1) busy++;
    }
    const share = busy / n;
    const total = f.hostMemBytes[h] as number;
    out.append(
      ts,
      [f.regions[f.hostRegion[h] as number]?.name ?? '', f.hostNames[h] as string],
      [r2(4 + (util / n) * 0.3), Math.round(total * (0.08 + 0.5 * share)), total, r2(0.5 + busy * 1.5)],
    );
  }
}

/** One row per configured link, measured from a probe host in its `from` region. */
export function linkRows(f: Fabric, ts: number, dtS: number, rng: Rng, out: SampleColumnsBuilder): void {
  for (const l of f.links) linkRow(f, l, ts, dtS, rng, out);
}

function linkRow(f: Fabric, l: Link, ts: number, dtS: number, rng: Rng, out: SampleColumnsBuilder): void {
  const from = f.regions[l.from]?.name ?? '';
  const to = f.regions[l.to]?.name ?? '';
  const p = probeLink(l, dtS, rng);
  const n = (x: number | null): number | null => (x === null ? null : r3(x));
  out.append(
    ts,
    [l.id, from, to, probeHost(from), 0, 'sim'],
    [
      n(p.rttMin),
      n(p.rttAvg),
      n(p.rttP50),
      n(p.rttP99),
      n(p.rttMax),
      n(p.owdForward),
      n(p.owdReverse),
      1,
      0.001,
      n(p.jitter),
      r3(l.lossPct),
      0,
      0,
      p.sent,
      p.received,
      Math.round(l.carriedBps),
      Math.round(l.capacityBps * (l.cut ? 0 : l.capacityFactor)),
    ],
  );
}

export function probeHost(region: string): string {
  return `${region}-probe`;
}

export function topologyRows(f: Fabric, ts: number): TableRows['topology'][] {
  const rows: TableRows['topology'][] = [];
  for (const r of f.regions) {
    rows.push({
      updated: ts,
      source: SIM_SOURCE,
      kind: 'region',
      id: r.name,
      region: r.name,
      lat: r.lat,
      lon: r.lon,
      gpus: r.gpuCount,
    });
  }
  for (let h = 0; h < f.hostNames.length; h++) {
    const region = f.regions[f.hostRegion[h] as number]?.name ?? '';
    rows.push({
      updated: ts,
      source: SIM_SOURCE,
      kind: 'host',
      id: f.hostNames[h] as string,
      region,
      gpus: f.hostGpuCount[h] as number,
    });
  }
  for (const l of f.links) {
    rows.push({
      updated: ts,
      source: SIM_SOURCE,
      kind: 'link',
      id: l.id,
      region: f.regions[l.from]?.name ?? '',
      region_to: f.regions[l.to]?.name ?? '',
      route_km: l.routeKm,
      capacity_gbps: (l.capacityBps * 8) / 1e9,
      equipment_delay_ms: l.equipmentDelayMs,
    });
  }
  return rows;
}

export function inventoryRows(f: Fabric, ts: number): TableRows['inventory'][] {
  const rows: TableRows['inventory'][] = [];
  for (let g = 0; g < f.gpuCount; g++) {
    const m = f.gpuModel[g];
    if (!m) continue;
    rows.push({
      ts,
      source: SIM_SOURCE,
      region: f.regions[f.gpuRegion[g] as number]?.name ?? '',
      host: f.hostNames[f.gpuHost[g] as number] as string,
      gpu_uuid: f.gpuUuid[g] as string,
      gpu_index: f.gpuIndex[g] as number,
      model: m.model,
      memory_total: m.memoryBytes,
      power_limit: m.tdpW,
      tdp: m.tdpW,
      mig_mode: 'Disabled',
      ecc_mode: 'Enabled',
    });
  }
  return rows;
}
