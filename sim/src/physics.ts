/**
 * GPU physics per tick, over the fabric's typed arrays: utilisation follows the load placed on the
 * GPU, power follows utilisation and clock, temperature relaxes towards inlet + thermal resistance ×
 * power, and a hot GPU throttles its SM clock, which in turn cuts power and progress. A region with
 * degraded cooling has a hotter inlet and a higher thermal resistance, so its GPUs run hot and slow.
 */
import type { Fabric } from './fabric.js';
import { THROTTLE } from './rows.js';
import type { Rng } from './rng.js';

/** °C per watt from die to inlet with healthy cooling: 700 W at 24 °C inlet settles near 73 °C. */
const RTH_C_PER_W = 0.07;
/** Die-to-inlet time constant, seconds. */
const TAU_S = 25;
/** Above this the clock comes down (HW/SW thermal slowdown). */
export const THROTTLE_TEMP_C = 87;
const IDLE_CLOCK_MHZ = 210;
/** How much a lost cooling plant heats the inlet air, °C at severity 1. */
const COOLING_LOSS_INLET_C = 22;

export function stepGpus(f: Fabric, dtS: number, rng: Rng): void {
  const relax = 1 - Math.exp(-dtS / TAU_S);
  const regions = f.regions;
  for (let g = 0; g < f.gpuCount; g++) {
    const host = f.gpuHost[g] as number;
    if (f.hostFailed[host] === 1) {
      f.util[g] = 0;
      f.power[g] = 0;
      continue;
    }
    const r = regions[f.gpuRegion[g] as number];
    if (!r) continue;
    const m = f.gpuModel[g];
    if (!m) continue;
    const inlet = r.inletC + r.coolingLoss * COOLING_LOSS_INLET_C;
    const rth = RTH_C_PER_W * (1 + r.coolingLoss * 1.2);

    const target = f.load[g] as number;
    const u = target > 0 ? clamp(target + rng.normal() * 1.5, 0, 100) : 0;
    const t0 = f.temp[g] as number;
    const thermal = t0 > THROTTLE_TEMP_C ? clamp(1 - (t0 - THROTTLE_TEMP_C) * 0.06, 0.45, 1) : 1;
    const busy = u > 0.5;
    let bits = 0;
    if (!busy) bits |= THROTTLE.gpuIdle;
    if (thermal < 1) bits |= THROTTLE.hwThermalSlowdown | THROTTLE.swThermalSlowdown;

    // Dynamic power scales with activity and (roughly) with clock; the rest is static.
    let p = m.idleW + (m.tdpW - m.idleW) * (u / 100) * (0.35 + 0.65 * thermal);
    if (p > m.tdpW) {
      p = m.tdpW;
      bits |= THROTTLE.swPowerCap;
    }
    const tss = inlet + rth * p;
    const t1 = t0 + (tss - t0) * relax + rng.normal() * 0.15;

    f.util[g] = u;
    f.clock[g] = busy ? m.maxClockMhz * thermal : IDLE_CLOCK_MHZ;
    f.power[g] = p;
    f.temp[g] = t1;
    f.throttle[g] = bits;
    f.energy[g] = (f.energy[g] as number) + p * dtS;
    const frac = f.memFrac[g] as number;
    // A resident context costs ~0.5 GiB even when idle; a job's share of memory on top of it.
    f.memUsed[g] = Math.min(m.memoryBytes, 2 ** 29 + frac * m.memoryBytes * (0.97 + 0.03 * rng.next()));
    // Corrected ECC errors are rare and more frequent when the HBM runs hot.
    if (rng.next() < (t1 > 90 ? 2e-4 : 1e-5) * dtS) f.sbe[g] = (f.sbe[g] as number) + 1;
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Start every GPU at the temperature its current load settles at, so a run does not open with a
 * minute-long warm-up ramp that looks like an event. A fixed point of temp → throttle → power → temp.
 */
export function settleThermals(f: Fabric): void {
  for (let g = 0; g < f.gpuCount; g++) {
    const r = f.regions[f.gpuRegion[g] as number];
    const m = f.gpuModel[g];
    if (!r || !m) continue;
    const inlet = r.inletC + r.coolingLoss * COOLING_LOSS_INLET_C;
    const rth = RTH_C_PER_W * (1 + r.coolingLoss * 1.2);
    const u = f.load[g] as number;
    let t = inlet + rth * m.idleW;
    for (let i = 0; i < 40; i++) {
      const thermal = t > THROTTLE_TEMP_C ? clamp(1 - (t - THROTTLE_TEMP_C) * 0.06, 0.45, 1) : 1;
      const p = m.idleW + (m.tdpW - m.idleW) * (u / 100) * (0.35 + 0.65 * thermal);
      t = t + (inlet + rth * p - t) * 0.5;
    }
    f.temp[g] = t;
  }
}
