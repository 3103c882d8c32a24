#!/usr/bin/env node
/**
 * SIMULATION of nvidia-smi, for machines without an NVIDIA GPU. It answers the two calls the
 * collector makes:
 *
 *   nvidia-smi --query-gpu=F1,F2,… --format=csv[,noheader][,nounits] [-lms N | -l S]
 *   nvidia-smi -q -x
 *
 * Query values are replayed from a real captured CSV (default: the L40S 595.80 "load" section in
 * test/fixtures/gpu; override with FAKE_NVIDIA_SMI_CSV), one line per simulated GPU per
 * interval. Columns are matched by nvidia-smi's canonical names, aliases included, so any field
 * list works; a field the capture lacks prints "[N/A]" as the real tool would.
 *
 * Behaviour is steered by environment variables:
 *   FAKE_NVIDIA_SMI_GPUS=8            number of GPUs (index 0..N-1, distinct UUIDs and power)
 *   FAKE_NVIDIA_SMI_DIE_AFTER=K       exit with status 1 after K intervals
 *   FAKE_NVIDIA_SMI_STALL_AFTER=K     after K intervals stop printing but stay alive
 *   FAKE_NVIDIA_SMI_MARKER=FILE       with DIE_AFTER / STALL_AFTER: misbehave only if FILE does not
 *                                     exist, and create it (so the restarted process behaves)
 *   FAKE_NVIDIA_SMI_GARBLE_LINE=L     garble the L-th data line (1-based) this process prints:
 *                                     power.draw becomes "#garbled#"
 *   FAKE_NVIDIA_SMI_GARBLE_MODE=cut   instead, cut that line in half (wrong column count)
 *   FAKE_NVIDIA_SMI_UNKNOWN=F1,F2     fields this "driver" does not know: like the real tool, print
 *                                     'Field "F1" is not a valid field to query.' and exit 2
 *   FAKE_NVIDIA_SMI_NO_DEVICES=1      print "No devices were found" and exit 6
 *   FAKE_NVIDIA_SMI_XML=FILE          what `-q -x` prints (default: the 2x A5000 v13 fixture)
 *   FAKE_NVIDIA_SMI_LOG=FILE          append one line per start ("start <pid>") for tests to count
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fixturesGpu = join(here, '..', 'fixtures', 'gpu');
const env = process.env;
const args = process.argv.slice(2);

if (env.FAKE_NVIDIA_SMI_LOG) appendFileSync(env.FAKE_NVIDIA_SMI_LOG, `start ${process.pid} ${args.join(' ')}\n`);

if (env.FAKE_NVIDIA_SMI_NO_DEVICES === '1') {
  process.stdout.write('No devices were found\n');
  process.exit(6);
}

if (args.includes('-q') && args.includes('-x')) {
  const file = env.FAKE_NVIDIA_SMI_XML ?? join(fixturesGpu, 'telegraf-2x-rtx-a5000-v13-q.xml');
  process.stdout.write(readFileSync(file, 'utf8'));
  process.exit(0);
}

// NVLink error counters: the file FAKE_NVIDIA_SMI_NVLINK (in `nvidia-smi nvlink -e`'s format), or
// nothing, as on GPUs without NVLink.
if (args[0] === 'nvlink' && args[1] === '-e') {
  if (env.FAKE_NVIDIA_SMI_NVLINK) process.stdout.write(readFileSync(env.FAKE_NVIDIA_SMI_NVLINK, 'utf8'));
  process.exit(0);
}

// The compute processes on the GPUs (attribution): the lines of FAKE_NVIDIA_SMI_APPS ("uuid, pid"),
// read again each time (a test changes the file to start and end jobs), or none; once, or every -lms N.
if (args.some((a) => a.startsWith('--query-compute-apps='))) {
  const apps = () => {
    if (env.FAKE_NVIDIA_SMI_APPS) {
      try {
        process.stdout.write(readFileSync(env.FAKE_NVIDIA_SMI_APPS, 'utf8'));
      } catch {
        // no file: no processes
      }
    }
  };
  const loop = args.indexOf('-lms');
  apps();
  if (loop < 0) process.exit(0);
  setInterval(apps, Number(args[loop + 1]));
  // The stream never ends by itself; the timer keeps the process alive, and the rest of the script
  // (the --query-gpu simulation) never runs.
  await new Promise(() => {});
}

const query = args.find((a) => a.startsWith('--query-gpu='));
const format = args.find((a) => a.startsWith('--format='));
if (!query || !format) {
  process.stderr.write('fake nvidia-smi: only --query-gpu=… --format=csv… and -q -x are simulated\n');
  process.exit(2);
}
const fields = query.slice('--query-gpu='.length).split(',');
const unknown = (env.FAKE_NVIDIA_SMI_UNKNOWN ?? '').split(',').filter(Boolean);
const bad = fields.find((f) => unknown.includes(f));
if (bad) {
  process.stdout.write(`Field "${bad}" is not a valid field to query.\n\n`);
  process.exit(2);
}
const formats = format.slice('--format='.length).split(',');
const noheader = formats.includes('noheader');
const nounits = formats.includes('nounits');
const lmsIdx = args.indexOf('-lms');
const lIdx = args.indexOf('-l');
const intervalMs = lmsIdx >= 0 ? Number(args[lmsIdx + 1]) : lIdx >= 0 ? Number(args[lIdx + 1]) * 1000 : 0;

/** nvidia-smi's own aliases (from --help-query-gpu): requested name → canonical header name. */
const ALIASES = {
  gpu_name: 'name',
  gpu_serial: 'serial',
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'clocks_throttle_reasons.active': 'clocks_event_reasons.active',
  'retired_pages.sbe': 'retired_pages.single_bit_ecc.count',
  'retired_pages.dbe': 'retired_pages.double_bit.count',
  'clocks.gr': 'clocks.current.graphics',
  'clocks.sm': 'clocks.current.sm',
  'clocks.mem': 'clocks.current.memory',
  'clocks.video': 'clocks.current.video',
};

const csvFile = env.FAKE_NVIDIA_SMI_CSV ?? join(fixturesGpu, 'nvgpuexp-l40s-595.80-query-gpu-load.csv');
const [headerLine = '', dataLine = ''] = readFileSync(csvFile, 'utf8').split(/\r?\n/);
const headers = headerLine.split(', ');
const data = dataLine.split(', ');
const capture = new Map(); // canonical name → { withUnits, unit }
headers.forEach((h, i) => {
  const m = /^(.*?)(?: \[(.*)\])?$/.exec(h);
  capture.set(m[1], { value: data[i] ?? '[N/A]', unit: m[2] });
});

const gpus = Number(env.FAKE_NVIDIA_SMI_GPUS ?? 1);

function value(field, gpu) {
  const canonical = ALIASES[field] ?? field;
  if (canonical === 'index') return String(gpu);
  if (canonical === 'uuid') return `GPU-5e1f0000-0000-4000-8000-${String(gpu).padStart(12, '0')}`;
  const c = capture.get(canonical);
  if (!c) return '[N/A]';
  let v = c.value;
  // Make GPUs tell apart: power grows by 1 W per index.
  if (canonical === 'power.draw') {
    const n = Number.parseFloat(v);
    if (Number.isFinite(n)) v = `${(n + gpu).toFixed(2)}${c.unit ? ` ${c.unit}` : ''}`;
  }
  if (nounits && c.unit && v.endsWith(` ${c.unit}`)) v = v.slice(0, -(c.unit.length + 1));
  return v;
}

let printed = 0;
const garbleAt = Number(env.FAKE_NVIDIA_SMI_GARBLE_LINE ?? 0);

function line(gpu) {
  printed++;
  const cells = fields.map((f) => value(f, gpu));
  if (printed === garbleAt) {
    if (env.FAKE_NVIDIA_SMI_GARBLE_MODE === 'cut') return cells.slice(0, Math.ceil(cells.length / 2)).join(', ');
    const p = fields.findIndex((f) => f === 'power.draw');
    if (p >= 0) cells[p] = '#garbled#';
  }
  return cells.join(', ');
}

if (!noheader) {
  process.stdout.write(
    `${fields
      .map((f) => {
        const c = capture.get(ALIASES[f] ?? f);
        return `${ALIASES[f] ?? f}${c?.unit && !nounits ? ` [${c.unit}]` : ''}`;
      })
      .join(', ')}\n`,
  );
}

let intervals = 0;
const dieAfter = env.FAKE_NVIDIA_SMI_DIE_AFTER ? Number(env.FAKE_NVIDIA_SMI_DIE_AFTER) : undefined;
const stallAfter = env.FAKE_NVIDIA_SMI_STALL_AFTER ? Number(env.FAKE_NVIDIA_SMI_STALL_AFTER) : undefined;
const marker = env.FAKE_NVIDIA_SMI_MARKER;
const misbehave = !(marker && existsSync(marker));
const willDie = dieAfter !== undefined && misbehave;
const willStall = stallAfter !== undefined && misbehave;
let marked = false;

function tick() {
  if (willDie && intervals >= dieAfter) {
    if (marker) writeFileSync(marker, 'died\n');
    process.stderr.write('fake nvidia-smi: dying as told\n');
    process.exit(1);
  }
  if (willStall && intervals >= stallAfter) {
    if (marker && !marked) writeFileSync(marker, 'stalled\n');
    marked = true;
    return; // alive, silent
  }
  let out = '';
  for (let g = 0; g < gpus; g++) out += `${line(g)}\n`;
  process.stdout.write(out);
  intervals++;
}

tick();
if (intervalMs > 0) setInterval(tick, intervalMs);
