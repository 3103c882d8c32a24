/**
 * The fabric's static layout and its per-GPU state, held column-wise in typed arrays: at 10,000 GPUs
 * a tick touches every GPU, and flat arrays keep that a tight loop with no object per GPU.
 */
import { greatCircleKm, oneWayMs } from './geo.js';
import { hashString } from './rng.js';
import type { Scenario } from './scenario.js';

export interface Region {
  readonly index: number;
  readonly name: string;
  readonly lat: number;
  readonly lon: number;
  readonly inletC: number;
  readonly hostStart: number;
  readonly hostCount: number;
  readonly gpuStart: number;
  readonly gpuCount: number;
  /** 0 = healthy cooling, 1 = none. Set by cooling_loss events. */
  coolingLoss: number;
}

export interface Link {
  readonly index: number;
  /** "from->to" as the scenario wrote it. */
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly routeKm: number;
  readonly capacityBps: number;
  readonly baseLossPct: number;
  readonly equipmentDelayMs: number;
  readonly jitterMs: number;
  readonly oneWayMs: number;
  // Event-driven impairments.
  addedRttMs: number;
  addedLossPct: number;
  capacityFactor: number;
  cut: boolean;
  // Per-tick state.
  offeredBps: number;
  carriedBps: number;
  lossPct: number;
  queueMs: number;
  /** Bytes carried since start: what a move's transfer adds up to. */
  bytesTotal: number;
}

export interface GpuModel {
  readonly model: string;
  readonly memoryBytes: number;
  readonly tdpW: number;
  readonly idleW: number;
  readonly maxClockMhz: number;
  readonly memClockMhz: number;
}

export class Fabric {
  readonly regions: Region[] = [];
  readonly links: Link[] = [];
  readonly hostNames: string[] = [];
  readonly hostRegion: Int32Array;
  readonly hostGpuStart: Int32Array;
  readonly hostGpuCount: Int32Array;
  readonly hostFailed: Uint8Array;
  readonly hostMemBytes: Float64Array;

  readonly gpuCount: number;
  readonly gpuHost: Int32Array;
  readonly gpuRegion: Int32Array;
  readonly gpuIndex: Uint16Array;
  readonly gpuUuid: string[] = [];
  readonly gpuModel: GpuModel[] = [];

  // Dynamic per-GPU state.
  readonly util: Float32Array;
  readonly power: Float32Array;
  readonly temp: Float32Array;
  readonly clock: Float32Array;
  readonly memUsed: Float64Array;
  readonly energy: Float64Array;
  readonly throttle: Uint32Array;
  readonly sbe: Float64Array;
  readonly xidLast: Uint32Array;
  readonly xidCount: Uint32Array;
  /** Workload slot holding the GPU, or -1 when free. */
  readonly job: Int32Array;
  /** Target utilisation (0–100) set by the workload each tick. */
  readonly load: Float32Array;
  /** Share of device memory the holder uses (0–1). */
  readonly memFrac: Float32Array;

  constructor(readonly scenario: Scenario) {
    let hosts = 0;
    let gpus = 0;
    for (const r of scenario.regions)
      for (const g of r.hosts) {
        hosts += g.count;
        gpus += g.count * g.gpus_per_host;
      }
    this.gpuCount = gpus;
    this.hostRegion = new Int32Array(hosts);
    this.hostGpuStart = new Int32Array(hosts);
    this.hostGpuCount = new Int32Array(hosts);
    this.hostFailed = new Uint8Array(hosts);
    this.hostMemBytes = new Float64Array(hosts);
    this.gpuHost = new Int32Array(gpus);
    this.gpuRegion = new Int32Array(gpus);
    this.gpuIndex = new Uint16Array(gpus);
    this.util = new Float32Array(gpus);
    this.power = new Float32Array(gpus);
    this.temp = new Float32Array(gpus);
    this.clock = new Float32Array(gpus);
    this.memUsed = new Float64Array(gpus);
    this.energy = new Float64Array(gpus);
    this.throttle = new Uint32Array(gpus);
    this.sbe = new Float64Array(gpus);
    this.xidLast = new Uint32Array(gpus);
    this.xidCount = new Uint32Array(gpus);
    this.job = new Int32Array(gpus).fill(-1);
    this.load = new Float32Array(gpus);
    this.memFrac = new Float32Array(gpus);

    let h = 0;
    let g = 0;
    scenario.regions.forEach((r, ri) => {
      const hostStart = h;
      const gpuStart = g;
      for (const group of r.hosts) {
        const model: GpuModel = {
          model: group.gpu.model,
          memoryBytes: group.gpu.memory_gb * 2 ** 30,
          tdpW: group.gpu.tdp_w,
          idleW: group.gpu.idle_w ?? Math.round(group.gpu.tdp_w * 0.1),
          maxClockMhz: group.gpu.max_clock_mhz,
          memClockMhz: group.gpu.mem_clock_mhz,
        };
        for (let k = 0; k < group.count; k++, h++) {
          const name = `${r.name}-h${String(h - hostStart).padStart(4, '0')}`;
          this.hostNames.push(name);
          this.hostRegion[h] = ri;
          this.hostGpuStart[h] = g;
          this.hostGpuCount[h] = group.gpus_per_host;
          // Host RAM: 2× the GPU memory it serves, a common sizing rule for training nodes.
          this.hostMemBytes[h] = 2 * group.gpus_per_host * model.memoryBytes;
          for (let i = 0; i < group.gpus_per_host; i++, g++) {
            this.gpuHost[g] = h;
            this.gpuRegion[g] = ri;
            this.gpuIndex[g] = i;
            this.gpuUuid.push(gpuUuid(scenario.name, name, i));
            this.gpuModel.push(model);
            this.clock[g] = model.maxClockMhz;
            this.temp[g] = r.inlet_c + 8;
            this.power[g] = model.idleW;
          }
        }
      }
      this.regions.push({
        index: ri,
        name: r.name,
        lat: r.lat,
        lon: r.lon,
        inletC: r.inlet_c,
        hostStart,
        hostCount: h - hostStart,
        gpuStart,
        gpuCount: g - gpuStart,
        coolingLoss: 0,
      });
    });

    const byName = new Map(this.regions.map((r) => [r.name, r]));
    scenario.links.forEach((l, li) => {
      const a = byName.get(l.from);
      const b = byName.get(l.to);
      if (!a || !b) throw new Error(`links[${li}]: unknown region`); // validated earlier; kept for the type narrowing
      const routeKm = l.route_km ?? Math.round(greatCircleKm(a.lat, a.lon, b.lat, b.lon) * scenario.route_factor);
      this.links.push({
        index: li,
        id: `${l.from}->${l.to}`,
        from: a.index,
        to: b.index,
        routeKm,
        capacityBps: (l.capacity_gbps * 1e9) / 8,
        baseLossPct: l.loss_pct,
        equipmentDelayMs: l.equipment_delay_ms,
        jitterMs: l.jitter_ms,
        oneWayMs: oneWayMs(routeKm, l.equipment_delay_ms),
        addedRttMs: 0,
        addedLossPct: 0,
        capacityFactor: 1,
        cut: false,
        offeredBps: 0,
        carriedBps: 0,
        lossPct: l.loss_pct,
        queueMs: 0,
        bytesTotal: 0,
      });
    });
  }

  regionByName(name: string): Region | undefined {
    return this.regions.find((r) => r.name === name);
  }

  linkById(id: string): Link | undefined {
    return this.links.find((l) => {
      const a = this.regions[l.from]?.name;
      const b = this.regions[l.to]?.name;
      return id === `${a}->${b}` || id === `${b}->${a}`;
    });
  }

  /** Free, healthy GPUs in a region. */
  freeGpus(region: number): number {
    const r = this.regions[region];
    if (!r) return 0;
    let n = 0;
    for (let g = r.gpuStart; g < r.gpuStart + r.gpuCount; g++) {
      if (this.job[g] === -1 && this.hostFailed[this.gpuHost[g] as number] === 0) n++;
    }
    return n;
  }

  /**
   * Take `n` free GPUs in a region, filling the emptiest-first hosts would spread a gang: instead fill
   * hosts in order so a gang lands on as few hosts as possible (what a gang scheduler does).
   */
  allocate(region: number, n: number, slot: number): Int32Array | null {
    const r = this.regions[region];
    if (!r || n <= 0) return null;
    const out = new Int32Array(n);
    let k = 0;
    for (let g = r.gpuStart; g < r.gpuStart + r.gpuCount && k < n; g++) {
      if (this.job[g] === -1 && this.hostFailed[this.gpuHost[g] as number] === 0) out[k++] = g;
    }
    if (k < n) return null;
    for (const g of out) this.job[g] = slot;
    return out;
  }

  release(gpus: Int32Array): void {
    for (const g of gpus) {
      this.job[g] = -1;
      this.load[g] = 0;
      this.memFrac[g] = 0;
    }
  }
}

/** A stable, UUID-shaped id per GPU: the same scenario always names its GPUs the same way. */
function gpuUuid(scenario: string, host: string, index: number): string {
  const hex = (s: string): string => hashString(s).toString(16).padStart(8, '0');
  const a = hex(`${scenario}/${host}/${index}/a`);
  const b = hex(`${scenario}/${host}/${index}/b`);
  const c = hex(`${scenario}/${host}/${index}/c`);
  const d = hex(`${scenario}/${host}/${index}/d`);
  return `GPU-${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}
