/**
 * Catalog history: a small, deterministic fleet written through the store's real writer, with every
 * catalog metric filled in from the catalog itself (kind, type and range), MIG, and 31 days of
 * history. The twin's own rows (../seed.ts) cover the last minutes of what it models; this fills
 * what it does not (metrics it does not model, history long enough for every rollup), so that every
 * dashboard panel has data. The dashboards' query test seeds both into one store.
 *
 * Time layout, so that every rollup has data for every range the tests use:
 *   - 1 Hz for the last 20 minutes          (raw table; feeds the 1m and 1h rollups through the views)
 *   - one row a minute from 26 h to 20 min  (1m rollup for the 24 h range)
 *   - one row an hour from 31 d to 26 h     (1h rollup for the 30 d range)
 */
import { labelsOf, metricsOf, type Entity } from '@meridian/catalog';
import { OPEN_END_MS, type SampleRow, type Store, type TableRows } from '@meridian/store';
import { sampleValue } from './values.js';

export interface FleetSeedOptions {
  /** The instant the data ends at (epoch ms); default now, floored to the second. */
  readonly now?: number;
  readonly regions?: readonly string[];
  readonly hostsPerRegion?: number;
  readonly gpusPerHost?: number;
}

export interface FleetSeedResult {
  readonly now: number;
  readonly regions: readonly string[];
  readonly hosts: readonly string[];
  readonly gpus: readonly { region: string; host: string; gpu_uuid: string }[];
  readonly links: readonly string[];
  readonly rows: Readonly<Record<Entity, number>>;
}

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SOURCE = 'sim';

/** Instants of the three layers, ascending. */
export function seedInstants(now: number): number[] {
  const out: number[] = [];
  for (let t = now - 31 * DAY; t < now - 26 * HOUR; t += HOUR) out.push(t);
  for (let t = now - 26 * HOUR; t < now - 20 * MIN; t += MIN) out.push(t);
  for (let t = now - 20 * MIN; t <= now; t += SEC) out.push(t);
  return out;
}

function metricsRow(entity: Entity, t: number, i: number, t0: number): Record<string, number> {
  const row: Record<string, number> = {};
  for (const m of metricsOf(entity)) row[m.name] = sampleValue(m, t, i, t0);
  return row;
}

async function writeAll(store: Store, entity: Entity, rows: SampleRow[]): Promise<number> {
  let written = 0;
  for (let k = 0; k < rows.length; k += 20_000) {
    const res = await store.writer(entity).write(rows.slice(k, k + 20_000));
    if (res.rejected.length > 0) {
      const e = res.rejected[0];
      throw new Error(`seed: ${entity} row rejected: ${e?.field}: ${e?.message} (${res.rejected.length} in all)`);
    }
    written += res.written;
  }
  return written;
}

type SeedGpu = { region: string; host: string; gpu_uuid: string; index: number; mig: string; profile: string };
type SeedLink = { id: string; from: string; to: string; host: string };

/** The tables beside the samples: inventory, topology, workloads and scheduler decisions. */
async function writeAux(
  store: Store,
  now: number,
  regions: readonly string[],
  gpusPerRegion: number,
  gpus: readonly SeedGpu[],
  links: readonly SeedLink[],
): Promise<void> {
  const inventory: TableRows['inventory'][] = gpus.map((g) => ({
    ts: now - DAY,
    source: SOURCE,
    region: g.region,
    host: g.host,
    gpu_uuid: g.mig ? `MIG-${g.gpu_uuid}-${g.mig}` : g.gpu_uuid,
    gpu_index: g.index,
    model: 'NVIDIA H100 80GB HBM3',
    memory_total: 80 * 2 ** 30,
    mig_mode: g.mig ? 'Enabled' : 'Disabled',
    mig_parent_uuid: g.mig ? g.gpu_uuid : '',
    mig_profile: g.profile,
  }));
  await store.insert('inventory', inventory);
  const topology: TableRows['topology'][] = [
    ...regions.map((r) => ({
      updated: now - DAY,
      source: SOURCE,
      kind: 'region' as const,
      id: r,
      region: r,
      gpus: gpusPerRegion,
    })),
    ...links.map((l) => ({
      updated: now - DAY,
      source: SOURCE,
      kind: 'link' as const,
      id: l.id,
      region: l.from,
      region_to: l.to,
      route_km: 2000,
      capacity_gbps: 400,
      equipment_delay_ms: 0.2,
    })),
  ];
  await store.insert('topology', topology);
  const states = ['running', 'queued', 'migrating', 'done'] as const;
  const workloads: TableRows['workloads'][] = Array.from({ length: 12 }, (_v, i) => ({
    ts: now - (i + 1) * HOUR,
    source: SOURCE,
    workload_id: `w${i}`,
    kind: 'training',
    comm_class: 'data_parallel',
    gpus: 8,
    region: regions[i % regions.length] as string,
    checkpoint_bytes: 2 ** 36,
    state: states[i % states.length] as (typeof states)[number],
  }));
  await store.insert('workloads', workloads);
  const reasons = ['region hot: util above 92%', 'link degraded: loss 2%'];
  const limits = ['cooldown', 'moves-per-pass', 'disruption-budget'];
  const decisions: TableRows['scheduler_decisions'][] = [];
  for (let i = 0; i < 60; i++) {
    // Two moves and a rejection in the last 15 minutes, the rest spread over 30 days.
    const move = i % 3 !== 2;
    decisions.push({
      ts: i < 3 ? now - (i + 1) * 3 * MIN : now - Math.floor((i * 30 * DAY) / 60),
      decision_id: `d${i}`,
      pass_id: `p${Math.floor(i / 2)}`,
      workload_id: `w${i % 12}`,
      action: move ? 'move' : 'reject',
      region_from: regions[i % regions.length] as string,
      region_to: move ? (regions[(i + 1) % regions.length] as string) : '',
      reason: move ? (reasons[i % 2] as string) : (limits[i % 3] as string),
      inputs: '{}',
      scores: '{}',
      limits: move ? ['benefit>cost×margin'] : [limits[i % 3] as string],
      executor: 'twin',
      outcome: move ? 'applied' : 'rejected',
      benefit: 10 + i,
      cost: 2 + (i % 5),
    });
  }
  await store.insert('scheduler_decisions', decisions);
  // Who holds each GPU (migration 0006): GPU i runs a pod of workload w(i mod 12) for the whole history.
  await store.insert(
    'gpu_assignments',
    gpus.map((g, i) => ({
      ts: now - 31 * DAY,
      ts_end: OPEN_END_MS,
      updated: now - 31 * DAY,
      source: SOURCE,
      region: g.region,
      host: g.host,
      gpu_uuid: g.gpu_uuid,
      mig_instance: g.mig,
      device_id: g.mig ? `MIG-${g.gpu_uuid}-${g.mig}` : g.gpu_uuid,
      orchestrator: 'kubernetes' as const,
      namespace: 'ml-train',
      pod: `w${i % 12}-worker-${i}`,
      container: 'main',
      workload_id: `w${i % 12}`,
    })),
  );
}

/** Writes the fleet, its links and the aux tables. Labels are checked against the catalog. */
export async function seedFleet(store: Store, opts: FleetSeedOptions = {}): Promise<FleetSeedResult> {
  const now = opts.now ?? Math.floor(Date.now() / SEC) * SEC;
  const regions = opts.regions ?? ['eu-west', 'us-east'];
  const hostsPerRegion = opts.hostsPerRegion ?? 2;
  const gpusPerHost = opts.gpusPerHost ?? 2;
  const times = seedInstants(now);
  const t0 = times[0] ?? now;
  for (const e of ['gpu', 'host', 'link'] as const) {
    const names = new Set(labelsOf(e).map((l) => l.name));
    const need =
      e === 'gpu'
        ? ['region', 'host', 'gpu_uuid', 'mig_instance', 'gpu_index', 'model', 'mig_profile']
        : e === 'host'
          ? ['region', 'host', 'interface']
          : ['link_id', 'host', 'lane', 'region_from', 'region_to', 'method'];
    for (const n of need) if (!names.has(n)) throw new Error(`seed: the catalog has no ${e} label "${n}"`);
  }

  const hosts: { region: string; host: string }[] = [];
  const gpus: SeedGpu[] = [];
  for (const region of regions) {
    for (let h = 0; h < hostsPerRegion; h++) {
      const host = `${region}-h${h}`;
      hosts.push({ region, host });
      for (let g = 0; g < gpusPerHost; g++) {
        const gpu_uuid = `GPU-${region}-${h}-${g}`;
        gpus.push({ region, host, gpu_uuid, index: g, mig: '', profile: '' });
      }
    }
  }
  // One MIG instance on the first GPU, so the MIG panels have a row.
  const first = gpus[0];
  if (first) gpus.push({ ...first, mig: '1/0', profile: '1g.10gb' });

  const gpuRows: SampleRow[] = [];
  const hostRows: SampleRow[] = [];
  const linkRows: SampleRow[] = [];
  const links: SeedLink[] = [];
  for (let a = 0; a < regions.length; a++) {
    for (let b = 0; b < regions.length; b++) {
      const from = regions[a] as string;
      const to = regions[b] as string;
      if (a !== b) links.push({ id: `${from}->${to}`, from, to, host: `${from}-h0` });
    }
  }
  for (const t of times) {
    gpus.forEach((g, i) =>
      gpuRows.push({
        ts: t,
        source: SOURCE,
        region: g.region,
        host: g.host,
        gpu_uuid: g.gpu_uuid,
        mig_instance: g.mig,
        gpu_index: g.index,
        model: 'NVIDIA H100 80GB HBM3',
        mig_profile: g.profile,
        ...metricsRow('gpu', t, i, t0),
      }),
    );
    hosts.forEach((h, i) =>
      hostRows.push({
        ts: t,
        source: SOURCE,
        region: h.region,
        host: h.host,
        interface: 'eth0',
        ...metricsRow('host', t, i, t0),
      }),
    );
    links.forEach((l, i) => {
      for (const lane of [0, 1]) {
        linkRows.push({
          ts: t,
          source: SOURCE,
          link_id: l.id,
          host: l.host,
          lane,
          region_from: l.from,
          region_to: l.to,
          method: SOURCE,
          ...metricsRow('link', t, i * 2 + lane, t0),
        });
      }
    });
  }
  const rows = {
    gpu: await writeAll(store, 'gpu', gpuRows),
    host: await writeAll(store, 'host', hostRows),
    link: await writeAll(store, 'link', linkRows),
  };

  await writeAux(store, now, regions, hostsPerRegion * gpusPerHost, gpus, links);
  return {
    now,
    regions,
    hosts: hosts.map((h) => h.host),
    gpus: gpus.filter((g) => !g.mig).map(({ region, host, gpu_uuid }) => ({ region, host, gpu_uuid })),
    links: links.map((l) => l.id),
    rows,
  };
}
