/**
 * bench/dcgm: the dcgm source's parse of a real 8-GPU dcgm-exporter scrape (test/fixtures/gpu, 8x A800
 * with GPU 0 in MIG mode: 254 series, 64 KB), against the 2 ms per scrape target. Yardstick, same run
 * and text: splitting the scrape into lines, the least any parser must do.
 *
 *   npx tsc -b && node bench/dist/dcgm.js [-- --iterations 2000 --rounds 7 --file PATH]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDcgm } from '@meridian/collector';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '7' },
    file: {
      type: 'string',
      default: fileURLToPath(
        new URL('../../test/fixtures/gpu/docs-dcgm-exporter-8x-a800-mig-metrics.prom', import.meta.url),
      ),
    },
  },
});

const iterations = Number(args.iterations);
const rounds = Number(args.rounds);
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error(`--iterations: "${args.iterations}" is not a count`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: "${args.rounds}" is not a count`);
const text = readFileSync(args.file, 'utf8');

/** Median milliseconds per call of `fn` over `rounds` rounds of `iterations` calls. */
function perCall(fn: () => unknown): number {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 200); i++) sink ^= Number(Boolean(fn()));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink ^= Number(Boolean(fn()));
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / iterations);
  }
  // The sink keeps the calls from being optimised away.
  if (sink === 42) process.stdout.write('');
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN;
}

const parsed = parseDcgm(text);
const gpus = parsed.records.filter((r) => r.labels.mig_instance === undefined).length;
const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
const parseMs = perCall(() => parseDcgm(text));
const splitMs = perCall(() => text.split('\n'));
const row = (name: string, ms: number, note: string) =>
  console.log(`${name.padEnd(28)} ${ms.toFixed(4).padStart(9)} ms   ${note}`);
console.log(`dcgm-exporter scrape: ${args.file}`);
console.log(`${text.length} bytes, ${series} series, ${gpus} GPUs, ${parsed.records.length - gpus} MIG instances`);
row('parseDcgm (records)', parseMs, parseMs <= 2 ? 'within the 2 ms target' : 'OVER the 2 ms target');
row('yardstick: split into lines', splitMs, `parse = ${(parseMs / splitMs).toFixed(1)}x the split`);
