import { describe, expect, it } from 'vitest';
import {
  ENTITIES,
  LABELS,
  METRICS,
  labelsOf,
  metricByName,
  metricsOf,
  rollupColumns,
  rollupReadExpr,
  type MetricSources,
} from '@meridian/catalog';

describe('the metric catalog', () => {
  it('names every metric once, in snake_case, with no clash with a label of its table', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
    for (const e of ENTITIES) {
      const labels = new Set(labelsOf(e).map((l) => l.name));
      for (const m of metricsOf(e)) expect(labels.has(m.name), m.name).toBe(false);
    }
  });

  it('covers what the issue lists for GPUs, hosts and links', () => {
    const required = [
      'util_gpu',
      'util_memory',
      'util_encoder',
      'util_decoder',
      'memory_used',
      'memory_free',
      'memory_total',
      'bar1_used',
      'power_draw',
      'power_limit',
      'temp_gpu',
      'temp_memory',
      'fan_speed',
      'clock_sm',
      'clock_mem',
      'throttle_reasons',
      'pstate',
      'ecc_sbe_volatile',
      'ecc_dbe_volatile',
      'ecc_sbe_aggregate',
      'ecc_dbe_aggregate',
      'retired_pages_sbe',
      'retired_pages_dbe',
      'remapped_rows_correctable',
      'xid_last',
      'pcie_gen',
      'pcie_width',
      'pcie_tx',
      'nvlink_tx',
      'cpu_util',
      'mem_used',
      'load_1m',
      'disk_used',
      'net_rx_bytes',
      'net_tx_packets',
      'net_rx_errors',
      'net_rx_drops',
      'rtt_min',
      'rtt_avg',
      'rtt_p50',
      'rtt_p99',
      'rtt_max',
      'owd_forward',
      'clock_synced',
      'jitter',
      'loss_pct',
      'reordered',
      'duplicates',
      'probes_sent',
      'probes_received',
      'throughput',
      'crc_errors',
      'symbol_errors',
      'fec_corrected',
      'fec_uncorrected',
      'link_down_events',
      'optic_rx_power',
      'optic_tx_power',
      'optic_bias',
      'optic_temp',
      'optic_vcc',
      'optic_alarms',
    ];
    for (const r of required) expect(metricByName(r), r).toBeDefined();
    expect(LABELS.some((l) => l.entity === 'gpu' && l.name === 'mig_instance')).toBe(true);
  });

  it('keeps units canonical and types consistent with kinds', () => {
    for (const m of METRICS) {
      if (m.kind === 'counter') expect(['UInt32', 'UInt64', 'Float64'], m.name).toContain(m.type);
      if (m.unit === 'bitmask') expect(m.kind, m.name).toBe('state');
      if (m.range) expect(m.range.min, m.name).toBeLessThan(m.range.max);
      if (m.unit === 'percent') expect(m.range, m.name).toEqual({ min: 0, max: 100 });
      if (m.otel) expect(m.otel, m.name).toMatch(/^(hw|system)\.[a-z_.0-9]+$/);
    }
    expect(metricByName('memory_used')?.unit).toBe('bytes');
    expect(metricByName('rtt_p99')?.unit).toBe('ms');
    expect(metricByName('optic_rx_power')?.unit).toBe('dBm');
  });

  it('maps each vendor field to at most one metric, converting MiB to bytes', () => {
    const seen = new Map<string, string>();
    for (const m of METRICS) {
      const s: MetricSources = m.sources ?? {};
      for (const [kind, fields] of Object.entries(s)) {
        for (const f of Array.isArray(fields) ? fields : [fields]) {
          // A vendor field is a { field } record, or (nvidia-smi nvlink -e) the names a counter goes by.
          const key = `${kind}:${typeof f === 'string' ? f : (f as { field: string }).field}`;
          expect(seen.get(key), key).toBeUndefined();
          seen.set(key, m.name);
        }
      }
    }
    expect(metricByName('memory_used')?.sources?.nvidiaSmiQuery).toEqual({ field: 'memory.used', scale: 1048576 });
    expect(metricByName('util_gpu')?.sources?.dcgm).toEqual({ field: 'DCGM_FI_DEV_GPU_UTIL' });
  });

  it('derives rollup columns and their read expressions from the metric kind', () => {
    const util = metricByName('util_gpu')!;
    expect(rollupColumns(util).map((c) => c.column)).toEqual(['util_gpu_avg', 'util_gpu_min', 'util_gpu_max']);
    expect(rollupColumns(util).map(rollupReadExpr)).toEqual([
      'avgMerge(util_gpu_avg)',
      'min(util_gpu_min)',
      'max(util_gpu_max)',
    ]);
    expect(rollupColumns(metricByName('throttle_reasons')!).map(rollupReadExpr)).toEqual([
      'groupBitOr(throttle_reasons_any)',
    ]);
    expect(rollupColumns(metricByName('ecc_dbe_volatile')!).map((c) => c.column)).toEqual(['ecc_dbe_volatile_max']);
    expect(rollupColumns(metricByName('memory_total')!)).toEqual([]);
  });
});
