#!/usr/bin/env node
// meridian-sbatch: sbatch that sends new work where Meridian's scheduler wants it.
//
// Asks the scheduler for its placement weights (GET /api/v1/placement, a viewer token), picks a
// region among those with a Slurm cluster here and a weight above 0 (at random in proportion to the
// weights, as Karmada's static weights spread replicas), and runs the real sbatch against that
// region's cluster (SLURM_CONF) with every argument unchanged. When the scheduler cannot be asked or
// no listed region may take work, the job goes to the default cluster, as plain sbatch would, and
// a note says why: steering must never stop a submission.
//
// Environment:
//   MERIDIAN_URL             the scheduler's API, e.g. https://meridian.example:8090
//   MERIDIAN_TOKEN_FILE      file holding a viewer token (mode 0600)
//   MERIDIAN_SLURM_CLUSTERS  file with one "region=/path/to/slurm.conf" per line (# comments)
//   MERIDIAN_SBATCH          the real sbatch (default: sbatch on PATH)
//   MERIDIAN_TIMEOUT_MS      how long to wait for the scheduler (default 2000)
//   MERIDIAN_DEFAULT_REGION  region used when steering is unavailable (default: SLURM_CONF as set)
// Prints "meridian-sbatch: region R (…)" on stderr; sbatch's own output and exit status are kept.
'use strict';
// CommonJS, so it runs as an extensionless file installed anywhere (install it as meridian-sbatch).
const { spawn } = require('node:child_process');
const { readFileSync, statSync } = require('node:fs');

const note = (line) => process.stderr.write(`meridian-sbatch: ${line}\n`);

function clusters(file) {
  const out = new Map();
  if (!file) return out;
  readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .forEach((l, i) => {
      const eq = l.indexOf('=');
      if (eq <= 0) throw new Error(`${file} line ${i + 1}: expected region=/path/to/slurm.conf`);
      out.set(l.slice(0, eq).trim(), l.slice(eq + 1).trim());
    });
  return out;
}

function token(file) {
  if (!file) return null;
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`${file}: group or others can read it; chmod 600`);
  return readFileSync(file, 'utf8').trim();
}

async function weights(url, tok, timeoutMs) {
  const res = await fetch(new URL('/api/v1/placement', url), {
    headers: tok ? { authorization: `Bearer ${tok}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`placement answered HTTP ${res.status}`);
  const body = await res.json();
  if (body.weights === null || typeof body.weights !== 'object') throw new Error('no placement weights yet');
  return body.weights;
}

/** Weighted pick among the regions that have a cluster; `rand` in [0, 1). */
function pick(w, known, rand) {
  const options = Object.entries(w).filter(([r, v]) => known.has(r) && typeof v === 'number' && v > 0);
  const total = options.reduce((s, [, v]) => s + v, 0);
  if (total <= 0) return null;
  let x = rand * total;
  for (const [r, v] of options.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (x < v) return { region: r, weight: v, total };
    x -= v;
  }
  const [r, v] = options[options.length - 1];
  return { region: r, weight: v, total };
}

async function main() {
  const env = { ...process.env };
  const known = clusters(env.MERIDIAN_SLURM_CLUSTERS);
  let chosen = null;
  if (env.MERIDIAN_URL && known.size > 0) {
    try {
      const w = await weights(
        env.MERIDIAN_URL,
        token(env.MERIDIAN_TOKEN_FILE),
        Number(env.MERIDIAN_TIMEOUT_MS ?? 2000),
      );
      chosen = pick(w, known, Math.random());
      if (chosen) note(`region ${chosen.region} (weight ${chosen.weight} of ${chosen.total})`);
      else note('no listed region may take new work now; using the default cluster');
    } catch (err) {
      note(`scheduler not asked (${err.message}); using the default cluster`);
    }
  }
  const region = chosen?.region ?? env.MERIDIAN_DEFAULT_REGION;
  if (region && known.has(region)) env.SLURM_CONF = known.get(region);
  const child = spawn(env.MERIDIAN_SBATCH || 'sbatch', process.argv.slice(2), { env, stdio: 'inherit' });
  child.on('error', (err) => {
    note(`cannot run sbatch: ${err.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

main().catch((err) => {
  note(err.message);
  process.exit(2);
});
