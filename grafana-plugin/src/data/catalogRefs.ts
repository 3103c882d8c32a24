import { labelsOf, metricByName, type Entity, type LabelDef, type MetricDef } from '@meridian/catalog';

/**
 * The catalog metrics and labels the pages show, resolved against @meridian/catalog once at load time.
 * A metric renamed or removed in the catalog fails here (and in this module's test) instead of
 * producing SQL against a column that no longer exists. SQL text never spells a column by hand: it
 * takes `.name` from these definitions.
 */
function metric(entity: Entity, name: string): MetricDef {
  const m = metricByName(name);
  if (!m) throw new Error(`@meridian/catalog has no metric "${name}" (wanted for the ${entity} pages)`);
  if (m.entity !== entity) throw new Error(`@meridian/catalog metric "${name}" belongs to ${m.entity}, not ${entity}`);
  return m;
}

function label(entity: Entity, name: string): LabelDef {
  const l = labelsOf(entity).find((x) => x.name === name);
  if (!l) throw new Error(`@meridian/catalog has no ${entity} label "${name}"`);
  return l;
}

export const GPU = {
  util: metric('gpu', 'util_gpu'),
  memUsed: metric('gpu', 'memory_used'),
  memTotal: metric('gpu', 'memory_total'),
  power: metric('gpu', 'power_draw'),
  temp: metric('gpu', 'temp_gpu'),
  clockSm: metric('gpu', 'clock_sm'),
  throttled: metric('gpu', 'throttled'),
  throttleReasons: metric('gpu', 'throttle_reasons'),
  xid: metric('gpu', 'xid_count'),
  eccDbe: metric('gpu', 'ecc_dbe_volatile'),
} as const;

export const GPU_LABELS = {
  region: label('gpu', 'region'),
  host: label('gpu', 'host'),
  uuid: label('gpu', 'gpu_uuid'),
  mig: label('gpu', 'mig_instance'),
  model: label('gpu', 'model'),
  migProfile: label('gpu', 'mig_profile'),
} as const;

export const LINK = {
  rtt: metric('link', 'rtt_avg'),
  rttMin: metric('link', 'rtt_min'),
  jitter: metric('link', 'jitter'),
  loss: metric('link', 'loss_pct'),
  throughput: metric('link', 'throughput'),
  capacity: metric('link', 'capacity'),
  rxPower: metric('link', 'optic_rx_power'),
  txPower: metric('link', 'optic_tx_power'),
  fecCorrected: metric('link', 'fec_corrected'),
  fecUncorrected: metric('link', 'fec_uncorrected'),
} as const;

export const LINK_LABELS = {
  id: label('link', 'link_id'),
  from: label('link', 'region_from'),
  to: label('link', 'region_to'),
  lane: label('link', 'lane'),
  host: label('link', 'host'),
} as const;

/** The GPU series drawn on the region, host and GPU pages, in display order. */
export const GPU_SERIES: readonly MetricDef[] = [
  GPU.util,
  GPU.memUsed,
  GPU.power,
  GPU.temp,
  GPU.clockSm,
  GPU.throttled,
  GPU.xid,
  GPU.eccDbe,
];

/** The per-link history series: delay, loss and throughput, then optics and FEC where collected. */
export const LINK_SERIES: readonly MetricDef[] = [
  LINK.rtt,
  LINK.jitter,
  LINK.loss,
  LINK.throughput,
  LINK.rxPower,
  LINK.txPower,
  LINK.fecCorrected,
  LINK.fecUncorrected,
];
