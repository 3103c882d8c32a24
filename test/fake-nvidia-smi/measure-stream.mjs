/**
 * Measures the CPU the collector's nvidia-smi source costs at 1 Hz for 8 simulated GPUs, beside a
 * yardstick measured in the same run: the same child stream read by a bare readline that parses
 * nothing. Usage (after `npx tsc -b collector`): node test/fake-nvidia-smi/measure-stream.mjs [ms]
 * Only this process's CPU is counted: the simulated nvidia-smi's own cost says nothing about the real one.
 */
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NvidiaSmiSource } from '../../collector/dist/sources/nvidia-smi/source.js';
import { SourceErrorCounters } from '../../collector/dist/sources/errors.js';
const FAKE = fileURLToPath(new URL('./nvidia-smi', import.meta.url));
const D = Number(process.argv[2] ?? 30000);
async function measure(label, startFn, stopFn) {
  await startFn();
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = process.cpuUsage();
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, D));
  const c = process.cpuUsage(c0);
  const wall = Date.now() - w0;
  await stopFn();
  const ms = (c.user + c.system) / 1000;
  console.log(
    `${label}: ${ms.toFixed(1)} ms CPU in ${wall} ms = ${((100 * ms) / wall).toFixed(3)} % of one core (${((ms / wall) * 3600).toFixed(1)} s/h)`,
  );
}
// Yardstick: the same child, same 8 lines/s, read with readline and dropped.
let child;
await measure(
  'yardstick (readline only, nothing parsed)',
  async () => {
    child = spawn(FAKE, ['--query-gpu=index,uuid,power.draw', '--format=csv,noheader,nounits', '-lms', '1000'], {
      env: { ...process.env, FAKE_NVIDIA_SMI_GPUS: '8' },
    });
    createInterface({ input: child.stdout }).on('line', () => {});
  },
  async () => {
    child.kill();
  },
);
let rows = 0;
let src;
await measure(
  'NvidiaSmiSource, 8 GPUs @ 1 Hz (parse + rows)',
  async () => {
    src = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 1000,
      env: { FAKE_NVIDIA_SMI_GPUS: '8' },
    });
    await src.start({
      region: 'r',
      host: 'h',
      emit: (_t, rs) => {
        rows += rs.length;
      },
      errors: new SourceErrorCounters(),
    });
  },
  async () => src.stop(),
);
console.log(`rows ${rows}, RSS ${(process.memoryUsage().rss / 1048576).toFixed(1)} MB`);
