/**
 * bench:observer: the workload observer (@meridian/fabric) against one cluster of 10,000 GPU pods and
 * a watch stream of 1,000 MODIFIED pod events/s, beside a yardstick measured in the same run on the
 * same bytes: a client that only lists the pods and JSON-decodes the watch stream, and keeps nothing.
 * Each runs in a process of its own, so its CPU time and RSS are read from /proc alone.
 *
 * Prints, for both: peak RSS, CPU (% of one core) while the stream runs, events applied of events
 * sent, and how long after the stream stopped the last event was applied (0: it kept up). The
 * observer's store is a stand-in that takes the rows and keeps nothing (the store is measured by
 * bench:ingest); its flush (grouping every pod into workloads) runs every 2 s as configured.
 *
 * Usage: npm run bench:observer [-- --pods 10000 --rate 1000 --seconds 20 --default-heap]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProc } from './collector-proc.js';
import { positiveArg } from './positive-arg.js';
import { BenchApi, TOKEN } from './observer-api.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const PODS = positiveArg('pods', 10_000);
const RATE = positiveArg('rate', 1000);
const SECONDS = positiveArg('seconds', 20);

/** Each child prints READY once listed and watching, then `{"events":n,"rss":bytes}` every 100 ms. */
const children = {
  yardstick: `
    import { request } from 'node:http';
    import { createInterface } from 'node:readline';
    const url = process.env.BENCH_URL, headers = { authorization: 'Bearer ' + process.env.BENCH_TOKEN };
    const get = (path) => new Promise((resolve, reject) => {
      request(url + path, { headers }, (res) => { const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => resolve(Buffer.concat(c).toString())); }).on('error', reject).end();
    });
    let cont = '', rv = '';
    do {
      const page = JSON.parse(await get('/api/v1/pods?limit=500' + (cont ? '&continue=' + cont : '')));
      rv ||= page.metadata.resourceVersion; cont = page.metadata.continue ?? '';
    } while (cont);
    let events = 0;
    request(url + '/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=' + rv, { headers }, (res) => {
      createInterface(res).on('line', (l) => { const e = JSON.parse(l); if (e.object.metadata.resourceVersion) events++; });
      console.log('READY');
    }).end();
    setInterval(() => console.log(JSON.stringify({ events, rss: process.memoryUsage().rss })), 100);`,
  observer: `
    import { WorkloadObserver, observerConfigSchema } from '@meridian/fabric';
    const config = observerConfigSchema.parse({ kubeconfig: process.env.BENCH_KUBECONFIG, clusters: [{ region: 'a', context: 'bench' }], flushSeconds: 2 });
    let rows = 0;
    const store = { insert: async (_t, r) => { rows += r.length; }, query: async () => [] };
    const o = await WorkloadObserver.create({ config, store, log: (l) => console.error(l) });
    o.start();
    await o.waitForSync(300000);
    const pods = () => o.reflectorStats().find((s) => s.resource === 'pods').stats;
    console.log('READY');
    setInterval(() => console.log(JSON.stringify({ events: pods().events, rss: process.memoryUsage().rss, rows, workloads: o.stats.workloads })), 100);`,
} as const;

/**
 * The observer runs with the V8 flag its Deployment sets (deploy/kubernetes/observer.yaml): a 128 MB
 * old generation, which keeps V8 from letting the heap grow lazily under the stream's garbage.
 * `--default-heap` runs it without the flag. What held memory, found by measuring the pods mirror
 * alone (old generation after two minor GCs, 10 s of 1,000 events/s): digests built with conditional
 * object spreads grew it 22.6 MB, fixed-shape literals 4.7 MB (a no-op digest: 1.6 MB); beside that,
 * loading @kubernetes/client-node (its KubeConfig pulls in the generated API clients) costs ~65 MB
 * RSS, which the decode-only yardstick does not pay.
 */
const DEFAULT_HEAP = process.argv.includes('--default-heap');
const NODE_FLAGS: Record<keyof typeof children, string[]> = {
  yardstick: [],
  observer: DEFAULT_HEAP ? [] : ['--max-old-space-size=128'],
};

interface Status {
  events: number;
  rss: number;
  rows?: number;
  workloads?: number;
}

function start(
  kind: keyof typeof children,
  env: NodeJS.ProcessEnv,
): Promise<{ proc: ChildProcess; last: () => Status }> {
  const proc = spawn(process.execPath, [...NODE_FLAGS[kind], '--input-type=module', '-e', children[kind]], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: Status = { events: 0, rss: 0 };
  let buf = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not get ready in 300 s`)), 300_000);
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        if (l === 'READY') {
          clearTimeout(timer);
          resolve({ proc, last: () => last });
        } else if (l.startsWith('{')) last = JSON.parse(l) as Status;
      }
    });
    proc.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(kind: keyof typeof children, env: (url: string) => NodeJS.ProcessEnv) {
  const api = new BenchApi(PODS);
  await api.start();
  const { proc, last } = await start(kind, { ...env(api.url), BENCH_URL: api.url, BENCH_TOKEN: TOKEN });
  try {
    const pid = proc.pid as number;
    while (api.watchers === 0) await sleep(10);
    let peakRss = readProc(pid)?.rssBytes ?? 0;
    const before = readProc(pid);
    const t0 = performance.now();
    // The stream: RATE events/s in 10 ms batches, paced by the clock, not by the timer's drift.
    while (performance.now() - t0 < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
      if (due > api.sent) api.emit(due - api.sent);
      peakRss = Math.max(peakRss, readProc(pid)?.rssBytes ?? 0);
      await sleep(10);
    }
    const streamS = (performance.now() - t0) / 1000;
    const after = readProc(pid);
    const stopped = performance.now();
    while (last().events < api.sent && performance.now() - stopped < 30_000) {
      peakRss = Math.max(peakRss, readProc(pid)?.rssBytes ?? 0);
      await sleep(20);
    }
    const catchUpMs = last().events >= api.sent ? performance.now() - stopped : NaN;
    if (!before || !after) throw new Error(`cannot read /proc/${pid}/stat`);
    return { peakRss, cpuPct: ((after.self - before.self) / streamS) * 100, sent: api.sent, last: last(), catchUpMs };
  } finally {
    proc.kill('SIGTERM');
    await api.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-observer-'));
/** A kubeconfig for one run's server (each run has its own port). */
function kubeconfigFor(url: string): NodeJS.ProcessEnv {
  const file = join(dir, `kubeconfig-${url.split(':').pop() ?? ''}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // http on loopback: client-node refuses plain HTTP unless TLS verification is off.
      clusters: [{ name: 'bench', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'bench', user: { token: TOKEN } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
      'current-context': 'bench',
    }),
    { mode: 0o600 },
  );
  return { BENCH_KUBECONFIG: file };
}

try {
  const yard = await measure('yardstick', () => ({}));
  const obs = await measure('observer', kubeconfigFor);
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  const fmt = (r: typeof yard) =>
    `peak RSS ${mb(r.peakRss)} MB, CPU ${r.cpuPct.toFixed(1)} % of a core, ${r.last.events}/${r.sent} events applied, ` +
    (Number.isFinite(r.catchUpMs)
      ? `caught up ${r.catchUpMs.toFixed(0)} ms after the stream stopped`
      : 'did NOT catch up in 30 s');
  console.log(
    `Workload observer: ${PODS} pods, ${RATE} watch events/s for ${SECONDS} s on loopback (Node ${process.version})`,
  );
  console.log(`  yardstick, list + decode only:  ${fmt(yard)}`);
  console.log(
    `  WorkloadObserver (${NODE_FLAGS.observer.join(' ') || 'default heap'}): ${fmt(obs)}; ${obs.last.workloads ?? 0} workloads, ${obs.last.rows ?? 0} rows written`,
  );
  const met = obs.peakRss <= 200 * 2 ** 20 && Number.isFinite(obs.catchUpMs);
  console.log(`  target (≤ 200 MB RSS, keeps up): ${met ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
