/**
 * The alert rules Meridian ships, one entry each. Add a rule by adding an entry: the provisioning
 * file (`npm run build:dashboards`), the test that fires it on twin data and the test that it stays
 * quiet through a fault-free run all read this list.
 */
import { COLLECTOR_SELF_METRICS } from '@meridian/catalog';
import { FIBER_FLOOR_SQL, GPU, HOST, LINK, POWER_MASK, THERMAL_MASK, col, inc, xidLookup } from './sql.js';
import type { AlertRule, PromRule } from './types.js';

/** RTT above the fiber floor by more than max(this, RTT_MARGIN_FRACTION × floor) is degraded. */
export const RTT_MARGIN_MS = 2;
export const RTT_MARGIN_FRACTION = 0.25;

/** A region or host with no sample for this long is stale (the collectors flush every few seconds). */
export const STALE_AFTER_S = 120;

/** The window the interconnect error rates are taken over (a 15-minute rate, per hour). */
const INTERCONNECT_WINDOW_S = 900;

/** Latest sample and per-link topology (route length, equipment delay): what the RTT floor needs. */
const TOPOLOGY_LINKS = `(SELECT region, region_to, argMax(route_km, updated) AS route_km,
          argMax(equipment_delay_ms, updated) AS equipment_delay_ms
   FROM topology WHERE kind = 'link' GROUP BY region, region_to)`;

export const RULES: readonly AlertRule[] = [
  {
    uid: 'meridian-gpu-xid',
    title: 'GPU Xid error',
    group: 'gpu',
    severity: 'critical',
    sql: `SELECT region, host, gpu_uuid,
  toString(argMax(${col('xid_last')}, ts)) AS xid,
  ${xidLookup(`argMax(${col('xid_last')}, ts)`, 'meaning')} AS xid_meaning,
  ${xidLookup(`argMax(${col('xid_last')}, ts)`, 'action')} AS nvidia_action,
  toFloat64(sum(${inc('xid_count')})) AS value
FROM ${GPU}
WHERE $__timeFilter(ts) AND ${inc('xid_count')} > 0
GROUP BY region, host, gpu_uuid`,
    windowS: 600,
    threshold: 0,
    forS: 0,
    summary: 'Xid {{ $labels.xid }} on {{ $labels.host }} ({{ $labels.gpu_uuid }}): {{ $labels.xid_meaning }}',
    description: 'NVIDIA recommends: {{ $labels.nvidia_action }}. The count is the Xids logged in the last 10 minutes.',
    firesIn: { scenario: 'inject:xid', withinS: 60 },
  },
  {
    uid: 'meridian-gpu-ecc-uncorrectable',
    title: 'Uncorrectable ECC error',
    group: 'gpu',
    severity: 'critical',
    sql: `SELECT region, host, gpu_uuid, toFloat64(sum(${inc('ecc_dbe_volatile')})) AS value
FROM ${GPU}
WHERE $__timeFilter(ts) AND ${inc('ecc_dbe_volatile')} > 0
GROUP BY region, host, gpu_uuid`,
    windowS: 600,
    threshold: 0,
    forS: 0,
    summary:
      '{{ $values.A.Value }} uncorrectable (double-bit) ECC errors on {{ $labels.host }} ({{ $labels.gpu_uuid }})',
    description:
      'Data in GPU memory was corrupted. Drain the GPU and reset it so the row is remapped (Xid 48/63); if row remapping fails, the GPU needs replacing.',
    firesIn: { scenario: 'inject:ecc-dbe', withinS: 60 },
  },
  {
    uid: 'meridian-gpu-row-remap-failure',
    title: 'GPU memory row remapping failed',
    group: 'gpu',
    severity: 'critical',
    sql: `SELECT region, host, gpu_uuid,
  toFloat64(max(ifNull(${col('remapped_rows_failed')}, 0)) + sum(ifNull(${inc('remapped_rows_uncorrectable')}, 0))) AS value
FROM ${GPU}
WHERE $__timeFilter(ts) AND (${col('remapped_rows_failed')} = 1 OR ${inc('remapped_rows_uncorrectable')} > 0)
GROUP BY region, host, gpu_uuid`,
    windowS: 600,
    threshold: 0,
    forS: 0,
    summary: 'Row remapping failure or new uncorrectable remap on {{ $labels.host }} ({{ $labels.gpu_uuid }})',
    description:
      'The GPU could not protect itself from failing memory (Xid 64) or has used a spare row for an uncorrectable error. Drain it; replace it if remapping has failed.',
    firesIn: { scenario: 'inject:row-remap-failure', withinS: 60 },
  },
  // Interconnect health (DCGM's NVLink counters, or `nvidia-smi nvlink -e`; PCIe replays from NVML):
  // per-hour rates from the writer's per-sample increases, so a counter reset is never a burst.
  ...(
    [
      {
        uid: 'meridian-gpu-nvlink-crc',
        title: 'NVLink CRC errors',
        counters: ['nvlink_crc_flit_errors', 'nvlink_crc_data_errors'],
        perHour: 60,
        severity: 'warning',
        description:
          'A marginal NVLink (cable, connector or NVSwitch port) that slows every collective crossing it. Find the link in the GPU health dashboard (per-link counts) and drain the GPU if the rate holds.',
      },
      {
        uid: 'meridian-gpu-nvlink-replay',
        title: 'NVLink replay errors',
        counters: ['nvlink_replay_errors'],
        perHour: 10,
        severity: 'warning',
        description:
          'The link is correcting errors by retransmitting, at a cost in bandwidth. Watch for CRC errors beside it.',
      },
      {
        uid: 'meridian-gpu-nvlink-recovery',
        title: 'NVLink recoveries',
        counters: ['nvlink_recovery_errors'],
        perHour: 0,
        severity: 'critical',
        description: 'An NVLink had to retrain: traffic on it stalled. Drain the GPU if it repeats.',
      },
      {
        uid: 'meridian-gpu-pcie-replay',
        title: 'PCIe replays',
        counters: ['pcie_replay'],
        perHour: 100,
        severity: 'warning',
        description: 'A degrading host link (riser, slot, retimer) between the GPU and the CPU or NIC.',
      },
    ] as const
  ).map((r): AlertRule => ({
    uid: r.uid,
    title: r.title,
    group: 'gpu',
    severity: r.severity,
    sql: `SELECT region, host, gpu_uuid,
  toFloat64(${r.counters.map((c) => `sum(ifNull(${inc(c)}, 0))`).join(' + ')}) * 3600 / ${INTERCONNECT_WINDOW_S} AS value
FROM ${GPU}
WHERE $__timeFilter(ts) AND mig_instance = ''
GROUP BY region, host, gpu_uuid`,
    windowS: INTERCONNECT_WINDOW_S,
    threshold: r.perHour,
    forS: r.severity === 'critical' ? 0 : 120,
    summary: `${r.title} on {{ $labels.host }} ({{ $labels.gpu_uuid }}): {{ $values.A.Value }} per hour, above ${r.perHour}`,
    description: r.description,
    firesIn: { scenario: `inject:${r.uid.replace('meridian-gpu-', '')}`, withinS: 180 },
  })),
  {
    uid: 'meridian-region-thermal-slowdown',
    title: 'Thermal slowdown in a region',
    group: 'fabric',
    severity: 'warning',
    sql: `SELECT region,
  toFloat64(round(100 * uniqExactIf(gpu_uuid, bitAnd(${col('throttle_reasons')}, ${THERMAL_MASK}) != 0) / uniqExact(gpu_uuid), 1)) AS value
FROM ${GPU}
WHERE $__timeFilter(ts)
GROUP BY region`,
    windowS: 120,
    threshold: 10,
    forS: 60,
    summary: '{{ $values.A.Value }}% of the GPUs in {{ $labels.region }} slowed down for heat in the last 2 minutes',
    description:
      'Thermal slowdown (SW or HW) on more than 10% of a region’s GPUs: cooling is failing or inlet air is too hot. The scheduler moves work out of hot regions; check the facility.',
    firesIn: { scenario: 'cooling-loss', withinS: 180 },
  },
  {
    uid: 'meridian-region-power-slowdown',
    title: 'Power slowdown in a region',
    group: 'fabric',
    severity: 'warning',
    sql: `SELECT region,
  toFloat64(round(100 * uniqExactIf(gpu_uuid, bitAnd(${col('throttle_reasons')}, ${POWER_MASK}) != 0) / uniqExact(gpu_uuid), 1)) AS value
FROM ${GPU}
WHERE $__timeFilter(ts)
GROUP BY region`,
    windowS: 120,
    threshold: 5,
    forS: 60,
    summary: '{{ $values.A.Value }}% of the GPUs in {{ $labels.region }} hit the power brake or HW slowdown',
    description:
      'Hardware power brake or HW slowdown (not the SW power cap, which full load reaches as a matter of course): power delivery or the PSUs. Check the rack power.',
    firesIn: { scenario: 'inject:power-brake', withinS: 120 },
  },
  {
    uid: 'meridian-region-stale',
    title: 'Region stopped reporting',
    group: 'fabric',
    severity: 'critical',
    sql: `SELECT region, toFloat64(dateDiff('second', max(ts), $__toTime)) AS value
FROM ${GPU}
WHERE $__timeFilter(ts)
GROUP BY region`,
    windowS: 3600,
    threshold: STALE_AFTER_S,
    forS: 60,
    summary: 'No GPU sample from {{ $labels.region }} for {{ $values.A.Value }} s',
    description:
      'A region that reported in the last hour has sent nothing for 2 minutes: the region is down, or its collectors cannot reach ClickHouse (they spool to disk meanwhile). The scheduler treats stale regions as unknown and holds moves into them.',
    firesIn: { scenario: 'region-failure', withinS: 240 },
  },
  {
    uid: 'meridian-host-stale',
    title: 'Host stopped reporting',
    group: 'fabric',
    severity: 'warning',
    sql: `SELECT region, host, toFloat64(dateDiff('second', max(ts), $__toTime)) AS value
FROM ${HOST}
WHERE $__timeFilter(ts)
GROUP BY region, host
HAVING region IN (SELECT region FROM ${HOST} WHERE ts >= $__toTime - INTERVAL ${STALE_AFTER_S} SECOND AND ts <= $__toTime)`,
    windowS: 3600,
    threshold: STALE_AFTER_S,
    forS: 60,
    summary: '{{ $labels.host }} in {{ $labels.region }} has sent nothing for {{ $values.A.Value }} s',
    description:
      'The rest of the region reports, this host does not: it is down or its collector stopped. A GPU that fell off the bus (Xid 79) takes its host with it.',
    firesIn: { scenario: 'host-failure', withinS: 240 },
  },
  {
    uid: 'meridian-link-loss',
    title: 'Packet loss on a long-haul link',
    group: 'links',
    severity: 'warning',
    sql: `SELECT region_from, region_to, toFloat64(round(avg(${col('loss_pct')}), 3)) AS value
FROM ${LINK}
WHERE $__timeFilter(ts) AND ${col('loss_pct')} IS NOT NULL
GROUP BY region_from, region_to`,
    windowS: 120,
    threshold: 0.2,
    forS: 60,
    summary: '{{ $values.A.Value }}% loss on {{ $labels.region_from }} → {{ $labels.region_to }} over 2 minutes',
    description:
      'Loss on a long-haul link slows every collective that crosses it. Check the link’s optics and errors (Fiber links dashboard); the scheduler avoids degraded links for cross-region work.',
    firesIn: { scenario: 'link-degradation', withinS: 180 },
  },
  {
    uid: 'meridian-link-rtt-above-floor',
    title: 'Link RTT above the fiber floor',
    group: 'links',
    severity: 'warning',
    sql: `SELECT l.region_from AS region_from, l.region_to AS region_to,
  toFloat64(round(quantile(0.5)(l.${col('rtt_p50')}) - (${FIBER_FLOOR_SQL} + greatest(${RTT_MARGIN_MS}, ${RTT_MARGIN_FRACTION} * ${FIBER_FLOOR_SQL})), 2)) AS value
FROM ${LINK} AS l
INNER JOIN ${TOPOLOGY_LINKS} AS t ON l.region_from = t.region AND l.region_to = t.region_to
WHERE $__timeFilter(l.ts) AND l.${col('rtt_p50')} IS NOT NULL AND t.route_km > 0
GROUP BY region_from, region_to, t.route_km, t.equipment_delay_ms`,
    windowS: 120,
    threshold: 0,
    forS: 60,
    summary:
      '{{ $labels.region_from }} → {{ $labels.region_to }}: median RTT {{ $values.A.Value }} ms beyond the fiber floor plus margin',
    description: `The RTT floor is light in fiber over the route plus the equipment (catalog/src/fiber.ts); more than max(${RTT_MARGIN_MS} ms, ${RTT_MARGIN_FRACTION * 100}%) above it means a reroute, congestion or a failing amplifier.`,
    firesIn: { scenario: 'link-degradation', withinS: 180 },
  },
];

const S = COLLECTOR_SELF_METRICS;

/** Prometheus rules on the collector's and the scheduler's own /metrics. */
export const PROM_RULES: readonly PromRule[] = [
  {
    alert: 'MeridianCollectorDroppingRows',
    expr: `increase(${S.dropped}[5m]) > 0`,
    forS: 0,
    severity: 'critical',
    summary: 'Collector {{ $labels.instance }} dropped rows',
    description:
      'Both the spool and the store refused a batch (a full disk and ClickHouse away): those samples are lost.',
    metrics: [S.dropped],
  },
  {
    alert: 'MeridianCollectorSpoolGrowing',
    expr: `${S.spoolBytes} > 0 and deriv(${S.spoolBytes}[10m]) > 0`,
    forS: 600,
    severity: 'warning',
    summary: 'Collector {{ $labels.instance }} spool growing for 10 minutes',
    description:
      'The collector cannot write to ClickHouse and is spooling to disk; nothing is lost until the disk fills. Check ClickHouse and the collector’s write errors.',
    metrics: [S.spoolBytes],
  },
  {
    alert: 'MeridianSchedulerBlocked',
    expr: 'increase(meridian_scheduler_passes_total{result="error"}[15m]) > 0 and on(instance) increase(meridian_scheduler_passes_total{result="ok"}[15m]) == 0',
    forS: 300,
    severity: 'critical',
    summary: 'Scheduler {{ $labels.instance }} has not completed a pass for 15 minutes',
    description:
      'Every pass fails (the store unreachable or a bad config): nothing is rebalanced. Its /api/v1/state shows the last error.',
    metrics: ['meridian_scheduler_passes_total'],
  },
  {
    alert: 'MeridianSchedulerPaused',
    expr: 'min_over_time(meridian_scheduler_paused[1h]) == 1',
    forS: 0,
    severity: 'warning',
    summary: 'Scheduler {{ $labels.instance }} paused for over an hour',
    description: 'The kill switch has been on for an hour: hot regions and failing links are not being acted on.',
    metrics: ['meridian_scheduler_paused'],
  },
];
