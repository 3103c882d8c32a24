import { Rng } from '@meridian/sim';
import type { SampleRow } from '@meridian/store';

/**
 * Realistic-looking GPU telemetry for benchmarks: each GPU runs jobs that ramp up, hold with small
 * noise and end, so utilization, power, temperature and memory move smoothly the way real boards do
 * (random numbers would compress unrealistically badly). Seeded with the twin's own generator, so
 * runs compare.
 */
const MiB = 1024 * 1024;
const TOTAL = 81_559 * MiB;

export function* gpuFleetRows(gpus: number, seconds: number, t0: number, seed = 7): Generator<SampleRow> {
  const stream = new Rng(seed);
  const rand = () => stream.next();
  const level = new Float64Array(gpus); // the job's target utilization, 0 when idle
  const util = new Float64Array(gpus);
  const temp = new Float64Array(gpus).fill(35);
  const mem = new Float64Array(gpus);
  const ecc = new Float64Array(gpus);
  const names = Array.from({ length: gpus }, (_, g) => ({
    region: `region-${g % 8}`,
    host: `gpu-node-${Math.floor(g / 8)}`,
    uuid: `GPU-${(0x10000000 + g).toString(16)}-bench`,
    index: g % 8,
  }));
  for (let s = 0; s < seconds; s++) {
    const ts = t0 + s * 1000;
    for (let g = 0; g < gpus; g++) {
      if (rand() < 0.002) level[g] = level[g]! > 0 ? 0 : 60 + rand() * 38; // a job starts or ends
      util[g] = util[g]! + (level[g]! - util[g]!) * 0.15 + (rand() - 0.5) * 3;
      const u = Math.min(100, Math.max(0, util[g]!));
      const power = 70 + u * 6.2 + (rand() - 0.5) * 8;
      temp[g] = temp[g]! + (30 + u * 0.45 - temp[g]!) * 0.05;
      mem[g] = mem[g]! + ((level[g]! > 0 ? 0.8 : 0.02) * TOTAL - mem[g]!) * 0.1;
      if (rand() < 0.0005) ecc[g] = ecc[g]! + 1;
      const n = names[g]!;
      const memUsed = Math.round(mem[g]! / MiB) * MiB;
      yield {
        ts,
        source: 'bench',
        region: n.region,
        host: n.host,
        gpu_uuid: n.uuid,
        gpu_index: n.index,
        model: 'NVIDIA H100 80GB HBM3',
        util_gpu: Math.round(u),
        util_memory: Math.round(u * 0.6),
        memory_used: memUsed,
        memory_free: TOTAL - memUsed,
        memory_total: TOTAL,
        power_draw: Math.round(power * 100) / 100,
        power_limit: 700,
        temp_gpu: Math.round(temp[g]!),
        temp_memory: Math.round(temp[g]! + 6),
        clock_sm: u > 5 ? 1980 : 345,
        clock_mem: 2619,
        throttle_reasons: u > 95 ? 4 : 0,
        throttled: u > 95 ? 1 : 0,
        pstate: u > 5 ? 0 : 8,
        ecc_sbe_volatile: ecc[g]!,
        ecc_dbe_volatile: 0,
        pcie_tx: Math.round(u * 2.5e8),
        pcie_rx: Math.round(u * 3.1e8),
      };
    }
  }
}
