import type { Entity, LabelDef, MetricDef, MetricKind, MetricSources, Unit, ValueType } from './types.js';

const MiB = 1024 * 1024;

interface Opts {
  otel?: string;
  range?: { min: number; max: number };
  rollup?: boolean;
  sources?: MetricSources;
  since?: string;
}

function metric(
  entity: Entity,
  name: string,
  unit: Unit,
  kind: MetricKind,
  type: ValueType,
  description: string,
  opts: Opts = {},
): MetricDef {
  return {
    name,
    entity,
    unit,
    kind,
    type,
    description,
    rollup: opts.rollup ?? true,
    ...(opts.otel ? { otel: opts.otel } : {}),
    ...(opts.range ? { range: opts.range } : {}),
    ...(opts.sources ? { sources: opts.sources } : {}),
    ...(opts.since ? { since: opts.since } : {}),
  };
}

const pct = { min: 0, max: 100 };
const field = (name: string, scale?: number): SourceFieldSpec => ({ field: name, ...(scale ? { scale } : {}) });
type SourceFieldSpec = { field: string; scale?: number; plus?: string[] };
const xml = (...paths: (string | SourceFieldSpec)[]): SourceFieldSpec[] =>
  paths.map((p) => (typeof p === 'string' ? { field: p } : p));
/** ECC counts from the XML: the SRAM and DRAM elements summed (v12+), else the older single/double-bit totals. */
const eccXml = (scope: 'volatile' | 'aggregate', kind: 'correctable' | 'uncorrectable') => {
  const at = (e: string) => `ecc_errors/${scope}/${e}`;
  const sram =
    kind === 'correctable'
      ? [at('sram_correctable')]
      : [at('sram_uncorrectable'), at('sram_uncorrectable_parity'), at('sram_uncorrectable_secded')];
  const [first = '', ...rest] = [...sram, at(`dram_${kind}`)];
  return xml({ field: first, plus: rest }, at(kind === 'correctable' ? 'single_bit/total' : 'double_bit/total'));
};

/** GPU metrics: one wide row per GPU (or MIG instance) per instant in `gpu_samples`. */
const gpu: MetricDef[] = [
  metric(
    'gpu',
    'util_gpu',
    'percent',
    'gauge',
    'Float32',
    'Share of time one or more kernels ran on the GPU (SM utilization as nvidia-smi reports it).',
    {
      otel: 'hw.gpu.utilization',
      range: pct,
      sources: {
        nvidiaSmiQuery: field('utilization.gpu'),
        nvidiaSmiXml: xml('utilization/gpu_util'),
        dcgm: field('DCGM_FI_DEV_GPU_UTIL'),
      },
    },
  ),
  metric(
    'gpu',
    'util_sm_active',
    'percent',
    'gauge',
    'Float32',
    'Share of SM cycles with at least one warp resident (DCGM profiling SM_ACTIVE).',
    {
      range: pct,
      sources: { dcgm: field('DCGM_FI_PROF_SM_ACTIVE', 100) },
    },
  ),
  metric(
    'gpu',
    'util_memory',
    'percent',
    'gauge',
    'Float32',
    'Share of time device memory was being read or written.',
    {
      range: pct,
      sources: {
        nvidiaSmiQuery: field('utilization.memory'),
        nvidiaSmiXml: xml('utilization/memory_util'),
        dcgm: field('DCGM_FI_DEV_MEM_COPY_UTIL'),
      },
    },
  ),
  metric('gpu', 'util_encoder', 'percent', 'gauge', 'Float32', 'Video encoder utilization.', {
    range: pct,
    sources: {
      nvidiaSmiQuery: field('utilization.encoder'),
      nvidiaSmiXml: xml('utilization/encoder_util'),
      dcgm: field('DCGM_FI_DEV_ENC_UTIL'),
    },
  }),
  metric('gpu', 'util_decoder', 'percent', 'gauge', 'Float32', 'Video decoder utilization.', {
    range: pct,
    sources: {
      nvidiaSmiQuery: field('utilization.decoder'),
      nvidiaSmiXml: xml('utilization/decoder_util'),
      dcgm: field('DCGM_FI_DEV_DEC_UTIL'),
    },
  }),
  metric('gpu', 'memory_used', 'bytes', 'gauge', 'UInt64', 'Frame-buffer memory in use.', {
    otel: 'hw.gpu.memory.usage',
    range: { min: 0, max: 2 ** 44 },
    sources: {
      nvidiaSmiQuery: field('memory.used', MiB),
      nvidiaSmiXml: xml({ field: 'fb_memory_usage/used', scale: MiB }),
      dcgm: field('DCGM_FI_DEV_FB_USED', MiB),
    },
  }),
  metric('gpu', 'memory_free', 'bytes', 'gauge', 'UInt64', 'Frame-buffer memory free.', {
    range: { min: 0, max: 2 ** 44 },
    sources: {
      nvidiaSmiQuery: field('memory.free', MiB),
      nvidiaSmiXml: xml({ field: 'fb_memory_usage/free', scale: MiB }),
      dcgm: field('DCGM_FI_DEV_FB_FREE', MiB),
    },
  }),
  metric('gpu', 'memory_total', 'bytes', 'gauge', 'UInt64', 'Frame-buffer memory installed.', {
    otel: 'hw.gpu.memory.limit',
    range: { min: 0, max: 2 ** 44 },
    rollup: false,
    sources: {
      nvidiaSmiQuery: field('memory.total', MiB),
      nvidiaSmiXml: xml({ field: 'fb_memory_usage/total', scale: MiB }),
      dcgm: field('DCGM_FI_DEV_FB_TOTAL', MiB),
    },
  }),
  metric('gpu', 'bar1_used', 'bytes', 'gauge', 'UInt64', 'BAR1 (PCIe-mapped) memory in use.', {
    range: { min: 0, max: 2 ** 44 },
    sources: { nvidiaSmiXml: xml({ field: 'bar1_memory_usage/used', scale: MiB }) },
  }),
  metric('gpu', 'bar1_total', 'bytes', 'gauge', 'UInt64', 'BAR1 memory size.', {
    range: { min: 0, max: 2 ** 44 },
    rollup: false,
    sources: { nvidiaSmiXml: xml({ field: 'bar1_memory_usage/total', scale: MiB }) },
  }),
  metric('gpu', 'power_draw', 'watts', 'gauge', 'Float32', 'Board power draw.', {
    otel: 'hw.power',
    range: { min: 0, max: 5000 },
    sources: {
      nvidiaSmiQuery: field('power.draw'),
      nvidiaSmiXml: xml(
        'gpu_power_readings/power_draw',
        'gpu_power_readings/average_power_draw',
        'gpu_power_readings/instant_power_draw',
        'power_readings/power_draw',
      ),
      dcgm: field('DCGM_FI_DEV_POWER_USAGE'),
    },
  }),
  metric('gpu', 'power_limit', 'watts', 'gauge', 'Float32', 'Enforced power limit.', {
    range: { min: 0, max: 5000 },
    sources: {
      nvidiaSmiQuery: field('power.limit'),
      nvidiaSmiXml: xml(
        'gpu_power_readings/current_power_limit',
        'gpu_power_readings/power_limit',
        'power_readings/power_limit',
      ),
      dcgm: field('DCGM_FI_DEV_POWER_MGMT_LIMIT'),
    },
  }),
  metric('gpu', 'energy_total', 'joules', 'counter', 'Float64', 'Energy consumed since the driver loaded.', {
    otel: 'hw.energy',
    range: { min: 0, max: 1e15 },
    sources: { dcgm: field('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 0.001) },
  }),
  metric('gpu', 'temp_gpu', 'celsius', 'gauge', 'Float32', 'GPU core temperature.', {
    otel: 'hw.temperature',
    range: { min: -40, max: 150 },
    sources: {
      nvidiaSmiQuery: field('temperature.gpu'),
      nvidiaSmiXml: xml('temperature/gpu_temp'),
      dcgm: field('DCGM_FI_DEV_GPU_TEMP'),
    },
  }),
  metric('gpu', 'temp_memory', 'celsius', 'gauge', 'Float32', 'HBM temperature (where the board reports it).', {
    range: { min: -40, max: 150 },
    sources: {
      nvidiaSmiQuery: field('temperature.memory'),
      nvidiaSmiXml: xml('temperature/memory_temp'),
      dcgm: field('DCGM_FI_DEV_MEMORY_TEMP'),
    },
  }),
  metric(
    'gpu',
    'fan_speed',
    'percent',
    'gauge',
    'Float32',
    'Fan speed as a share of maximum (absent on passively cooled boards).',
    {
      otel: 'hw.fan.speed_ratio',
      range: pct,
      sources: {
        nvidiaSmiQuery: field('fan.speed'),
        nvidiaSmiXml: xml('fan_speed'),
        dcgm: field('DCGM_FI_DEV_FAN_SPEED'),
      },
    },
  ),
  metric('gpu', 'clock_sm', 'MHz', 'gauge', 'Float32', 'SM clock.', {
    range: { min: 0, max: 10000 },
    sources: {
      nvidiaSmiQuery: field('clocks.sm'),
      nvidiaSmiXml: xml('clocks/sm_clock'),
      dcgm: field('DCGM_FI_DEV_SM_CLOCK'),
    },
  }),
  metric('gpu', 'clock_mem', 'MHz', 'gauge', 'Float32', 'Memory clock.', {
    range: { min: 0, max: 40000 },
    sources: {
      nvidiaSmiQuery: field('clocks.mem'),
      nvidiaSmiXml: xml('clocks/mem_clock'),
      dcgm: field('DCGM_FI_DEV_MEM_CLOCK'),
    },
  }),
  metric(
    'gpu',
    'throttle_reasons',
    'bitmask',
    'state',
    'UInt64',
    'Active clock throttle (event) reasons, the NVML bitmask.',
    {
      sources: {
        nvidiaSmiQuery: field('clocks_event_reasons.active'),
        nvidiaSmiXml: xml(
          'clocks_event_reasons/clocks_event_reasons_active',
          'clocks_throttle_reasons/clocks_throttle_reasons_active',
        ),
        dcgm: field('DCGM_FI_DEV_CLOCK_THROTTLE_REASONS'),
      },
    },
  ),
  metric(
    'gpu',
    'throttled',
    'bool',
    'gauge',
    'UInt8',
    'Whether a slowdown reason (power cap, thermal, power brake) is active: 0 or 1; its average is the share of time throttled.',
    {
      range: { min: 0, max: 1 },
    },
  ),
  metric('gpu', 'pstate', 'state', 'state', 'UInt8', 'Performance state: 0 (P0, maximum) to 15 (P15, minimum).', {
    range: { min: 0, max: 15 },
    sources: {
      nvidiaSmiQuery: field('pstate'),
      nvidiaSmiXml: xml('performance_state'),
      dcgm: field('DCGM_FI_DEV_PSTATE'),
    },
  }),
  metric(
    'gpu',
    'ecc_sbe_volatile',
    'count',
    'counter',
    'UInt64',
    'Corrected (single-bit) ECC errors since the driver loaded.',
    {
      otel: 'hw.errors',
      sources: {
        nvidiaSmiQuery: field('ecc.errors.corrected.volatile.total'),
        nvidiaSmiXml: eccXml('volatile', 'correctable'),
        dcgm: field('DCGM_FI_DEV_ECC_SBE_VOL_TOTAL'),
      },
    },
  ),
  metric(
    'gpu',
    'ecc_dbe_volatile',
    'count',
    'counter',
    'UInt64',
    'Uncorrected (double-bit) ECC errors since the driver loaded.',
    {
      otel: 'hw.errors',
      sources: {
        nvidiaSmiQuery: field('ecc.errors.uncorrected.volatile.total'),
        nvidiaSmiXml: eccXml('volatile', 'uncorrectable'),
        dcgm: field('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL'),
      },
    },
  ),
  metric('gpu', 'ecc_sbe_aggregate', 'count', 'counter', 'UInt64', 'Corrected ECC errors over the board lifetime.', {
    sources: {
      nvidiaSmiQuery: field('ecc.errors.corrected.aggregate.total'),
      nvidiaSmiXml: eccXml('aggregate', 'correctable'),
      dcgm: field('DCGM_FI_DEV_ECC_SBE_AGG_TOTAL'),
    },
  }),
  metric('gpu', 'ecc_dbe_aggregate', 'count', 'counter', 'UInt64', 'Uncorrected ECC errors over the board lifetime.', {
    sources: {
      nvidiaSmiQuery: field('ecc.errors.uncorrected.aggregate.total'),
      nvidiaSmiXml: eccXml('aggregate', 'uncorrectable'),
      dcgm: field('DCGM_FI_DEV_ECC_DBE_AGG_TOTAL'),
    },
  }),
  metric(
    'gpu',
    'retired_pages_sbe',
    'count',
    'counter',
    'UInt32',
    'Pages retired for multiple single-bit errors (pre-Ampere).',
    {
      sources: {
        nvidiaSmiQuery: field('retired_pages.sbe'),
        nvidiaSmiXml: xml('retired_pages/multiple_single_bit_retirement/retired_count'),
        dcgm: field('DCGM_FI_DEV_RETIRED_SBE'),
      },
    },
  ),
  metric(
    'gpu',
    'retired_pages_dbe',
    'count',
    'counter',
    'UInt32',
    'Pages retired for a double-bit error (pre-Ampere).',
    {
      sources: {
        nvidiaSmiQuery: field('retired_pages.dbe'),
        nvidiaSmiXml: xml('retired_pages/double_bit_retirement/retired_count'),
        dcgm: field('DCGM_FI_DEV_RETIRED_DBE'),
      },
    },
  ),
  metric(
    'gpu',
    'remapped_rows_correctable',
    'count',
    'counter',
    'UInt32',
    'Rows remapped for correctable errors (Ampere and later).',
    {
      sources: {
        nvidiaSmiXml: xml('remapped_rows/remapped_row_corr'),
        dcgm: field('DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS'),
      },
    },
  ),
  metric(
    'gpu',
    'remapped_rows_uncorrectable',
    'count',
    'counter',
    'UInt32',
    'Rows remapped for uncorrectable errors.',
    {
      sources: {
        nvidiaSmiXml: xml('remapped_rows/remapped_row_unc'),
        dcgm: field('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS'),
      },
    },
  ),
  metric(
    'gpu',
    'remapped_rows_failed',
    'count',
    'state',
    'UInt8',
    '1 when a row remapping failed: the GPU needs service.',
    {
      range: { min: 0, max: 1 },
      sources: {
        nvidiaSmiXml: xml('remapped_rows/remapped_row_failure'),
        dcgm: field('DCGM_FI_DEV_ROW_REMAP_FAILURE'),
      },
    },
  ),
  metric(
    'gpu',
    'xid_last',
    'state',
    'state',
    'UInt32',
    'The most recent XID error code the driver reported (0: none).',
    {
      sources: { dcgm: field('DCGM_FI_DEV_XID_ERRORS') },
    },
  ),
  metric('gpu', 'xid_count', 'count', 'counter', 'UInt32', 'XID errors seen by the collector since it started.', {
    otel: 'hw.errors',
  }),
  metric('gpu', 'pcie_gen', 'state', 'state', 'UInt8', 'Current PCIe link generation.', {
    range: { min: 1, max: 7 },
    sources: {
      nvidiaSmiQuery: field('pcie.link.gen.current'),
      nvidiaSmiXml: xml('pci/pci_gpu_link_info/pcie_gen/current_link_gen'),
    },
  }),
  metric('gpu', 'pcie_width', 'state', 'state', 'UInt8', 'Current PCIe link width (lanes).', {
    range: { min: 1, max: 32 },
    sources: {
      nvidiaSmiQuery: field('pcie.link.width.current'),
      nvidiaSmiXml: xml({ field: 'pci/pci_gpu_link_info/link_widths/current_link_width' }),
    },
  }),
  metric('gpu', 'pcie_tx', 'bytes/s', 'gauge', 'Float32', 'PCIe transmit throughput.', {
    otel: 'hw.gpu.io',
    range: { min: 0, max: 1e12 },
    sources: { nvidiaSmiXml: xml({ field: 'pci/tx_util', scale: 1000 }), dcgm: field('DCGM_FI_PROF_PCIE_TX_BYTES') },
  }),
  metric('gpu', 'pcie_rx', 'bytes/s', 'gauge', 'Float32', 'PCIe receive throughput.', {
    otel: 'hw.gpu.io',
    range: { min: 0, max: 1e12 },
    sources: { nvidiaSmiXml: xml({ field: 'pci/rx_util', scale: 1000 }), dcgm: field('DCGM_FI_PROF_PCIE_RX_BYTES') },
  }),
  metric('gpu', 'pcie_replay', 'count', 'counter', 'UInt64', 'PCIe replay counter: link-level retransmissions.', {
    sources: {
      nvidiaSmiXml: xml('pci/pci_gpu_link_info/replay_counter', 'pci/replay_counter'),
      dcgm: field('DCGM_FI_DEV_PCIE_REPLAY_COUNTER'),
    },
  }),
  metric('gpu', 'nvlink_tx', 'bytes/s', 'gauge', 'Float32', 'NVLink transmit throughput, all links.', {
    range: { min: 0, max: 1e13 },
    sources: { dcgm: field('DCGM_FI_PROF_NVLINK_TX_BYTES') },
  }),
  metric('gpu', 'nvlink_rx', 'bytes/s', 'gauge', 'Float32', 'NVLink receive throughput, all links.', {
    range: { min: 0, max: 1e13 },
    sources: { dcgm: field('DCGM_FI_PROF_NVLINK_RX_BYTES') },
  }),
  ...dcgmProfiling(),
];

/**
 * DCGM profiling ratios and NVLink health, added by migration 0008_dcgm_profiling. Which source gives
 * which field:
 *  - dcgm-exporter gives all of them (its DCGM_FI_PROF_* ratios are 0..1 and stored as percent), for
 *    whole GPUs and, for the ratios, per MIG instance (GR_ENGINE_ACTIVE is the only utilisation a MIG
 *    instance has; see utilisation.ts);
 *  - `nvidia-smi nvlink -e` (no DCGM; run on the inventory cadence, never per sample) gives the NVLink
 *    error counters, summed over links, with each link's value kept in `extra_metrics` (see nvlink.ts);
 *  - NVML through `nvidia-smi` has no profiling counters: on a plain host these columns stay NULL, and
 *    panels say so rather than show zero.
 * Already in the original set and filled by DCGM too: util_sm_active, pcie_tx/pcie_rx
 * (DCGM_FI_PROF_PCIE_*_BYTES, bytes/s), nvlink_tx/nvlink_rx, pcie_replay, remapped_rows_failed,
 * energy_total.
 */
function dcgmProfiling(): MetricDef[] {
  const since = '0008_dcgm_profiling';
  const ratio = (name: string, dcgmField: string, description: string): MetricDef =>
    metric('gpu', name, 'percent', 'gauge', 'Float32', description, {
      range: pct,
      since,
      sources: { dcgm: field(dcgmField, 100) },
    });
  const nvlinkErrors = (name: string, dcgmField: string, smi: string[], description: string): MetricDef =>
    metric('gpu', name, 'count', 'counter', 'UInt64', description, {
      otel: 'hw.errors',
      since,
      sources: { dcgm: field(dcgmField), nvidiaSmiNvlink: smi },
    });
  return [
    ratio(
      'util_sm_occupancy',
      'DCGM_FI_PROF_SM_OCCUPANCY',
      'Resident warps as a share of the maximum the SMs can hold, averaged over SMs (DCGM profiling SM_OCCUPANCY).',
    ),
    ratio(
      'util_tensor_active',
      'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
      'Share of cycles the tensor (HMMA/IMMA) pipe was active (DCGM profiling PIPE_TENSOR_ACTIVE).',
    ),
    ratio(
      'util_fp64_active',
      'DCGM_FI_PROF_PIPE_FP64_ACTIVE',
      'Share of cycles the FP64 pipe was active (DCGM profiling PIPE_FP64_ACTIVE).',
    ),
    ratio(
      'util_fp32_active',
      'DCGM_FI_PROF_PIPE_FP32_ACTIVE',
      'Share of cycles the FP32 pipe was active (DCGM profiling PIPE_FP32_ACTIVE).',
    ),
    ratio(
      'util_fp16_active',
      'DCGM_FI_PROF_PIPE_FP16_ACTIVE',
      'Share of cycles the FP16 pipe was active (DCGM profiling PIPE_FP16_ACTIVE).',
    ),
    ratio(
      'util_dram_active',
      'DCGM_FI_PROF_DRAM_ACTIVE',
      'Share of cycles the device-memory interface was sending or receiving (DCGM profiling DRAM_ACTIVE).',
    ),
    ratio(
      'util_gr_engine_active',
      'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      'Share of time the graphics/compute engine was active; for a MIG instance, its own (DCGM profiling GR_ENGINE_ACTIVE).',
    ),
    nvlinkErrors(
      'nvlink_crc_flit_errors',
      'DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL',
      // Drivers from R535 print one "CRC Errors" line per link: the flow-control (FLIT) CRC count.
      ['CRC Flit Errors', 'CRC FLIT Errors', 'CRC Flit Error', 'CRC FLIT Error', 'CRC Errors'],
      'NVLink flow-control (FLIT) CRC errors, all links, since the driver loaded.',
    ),
    nvlinkErrors(
      'nvlink_crc_data_errors',
      'DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL',
      ['CRC Data Errors', 'CRC Data Error'],
      'NVLink data CRC errors, all links, since the driver loaded.',
    ),
    nvlinkErrors(
      'nvlink_replay_errors',
      'DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL',
      ['Replay Errors', 'Replay Error'],
      'NVLink retransmissions (replays), all links, since the driver loaded.',
    ),
    nvlinkErrors(
      'nvlink_recovery_errors',
      'DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL',
      ['Recovery Errors', 'Recovery Error'],
      'NVLink link recoveries (retraining), all links, since the driver loaded.',
    ),
  ];
}

/** Host metrics: one wide row per host (or per host interface, for `net_*`) per instant. */
const host: MetricDef[] = [
  metric('host', 'cpu_util', 'percent', 'gauge', 'Float32', 'CPU busy, all cores.', {
    otel: 'system.cpu.utilization',
    range: pct,
  }),
  metric('host', 'mem_used', 'bytes', 'gauge', 'UInt64', 'Memory in use (excluding caches and buffers).', {
    otel: 'system.memory.usage',
    range: { min: 0, max: 2 ** 50 },
  }),
  metric('host', 'mem_total', 'bytes', 'gauge', 'UInt64', 'Memory installed.', {
    otel: 'system.memory.limit',
    range: { min: 0, max: 2 ** 50 },
    rollup: false,
  }),
  metric('host', 'load_1m', 'count', 'gauge', 'Float32', 'One-minute load average.', {
    otel: 'system.linux.cpu.load_1m',
    range: { min: 0, max: 1e6 },
  }),
  metric('host', 'disk_used', 'bytes', 'gauge', 'UInt64', 'Used bytes on the filesystems Meridian watches.', {
    otel: 'system.filesystem.usage',
    range: { min: 0, max: 2 ** 60 },
  }),
  metric('host', 'disk_total', 'bytes', 'gauge', 'UInt64', 'Size of the filesystems Meridian watches.', {
    otel: 'system.filesystem.limit',
    range: { min: 0, max: 2 ** 60 },
    rollup: false,
  }),
  metric('host', 'net_rx_bytes', 'count', 'counter', 'UInt64', 'Bytes received on the interface (cumulative).', {
    otel: 'system.network.io',
  }),
  metric('host', 'net_tx_bytes', 'count', 'counter', 'UInt64', 'Bytes sent on the interface (cumulative).', {
    otel: 'system.network.io',
  }),
  metric('host', 'net_rx_packets', 'count', 'counter', 'UInt64', 'Packets received (cumulative).', {
    otel: 'system.network.packets',
  }),
  metric('host', 'net_tx_packets', 'count', 'counter', 'UInt64', 'Packets sent (cumulative).', {
    otel: 'system.network.packets',
  }),
  metric('host', 'net_rx_errors', 'count', 'counter', 'UInt64', 'Receive errors (cumulative).', {
    otel: 'system.network.errors',
  }),
  metric('host', 'net_tx_errors', 'count', 'counter', 'UInt64', 'Transmit errors (cumulative).', {
    otel: 'system.network.errors',
  }),
  metric('host', 'net_rx_drops', 'count', 'counter', 'UInt64', 'Received packets dropped (cumulative).', {
    otel: 'system.network.dropped',
  }),
  metric('host', 'net_tx_drops', 'count', 'counter', 'UInt64', 'Transmit packets dropped (cumulative).', {
    otel: 'system.network.dropped',
  }),
];

/** Link metrics: one wide row per link (a probe path, or a NIC port with its optics) per instant. */
const link: MetricDef[] = [
  metric('link', 'rtt_min', 'ms', 'gauge', 'Float32', 'Smallest round-trip time in the interval.', {
    range: { min: 0, max: 60000 },
  }),
  metric('link', 'rtt_avg', 'ms', 'gauge', 'Float32', 'Mean round-trip time in the interval.', {
    range: { min: 0, max: 60000 },
  }),
  metric('link', 'rtt_p50', 'ms', 'gauge', 'Float32', 'Median round-trip time in the interval.', {
    range: { min: 0, max: 60000 },
  }),
  metric('link', 'rtt_p99', 'ms', 'gauge', 'Float32', '99th-percentile round-trip time in the interval.', {
    range: { min: 0, max: 60000 },
  }),
  metric('link', 'rtt_max', 'ms', 'gauge', 'Float32', 'Largest round-trip time in the interval.', {
    range: { min: 0, max: 60000 },
  }),
  metric(
    'link',
    'owd_forward',
    'ms',
    'gauge',
    'Float32',
    'One-way delay sender→reflector; stored only when both clocks are synchronised.',
    {
      range: { min: -60000, max: 60000 },
    },
  ),
  metric(
    'link',
    'owd_reverse',
    'ms',
    'gauge',
    'Float32',
    'One-way delay reflector→sender; stored only when both clocks are synchronised.',
    {
      range: { min: -60000, max: 60000 },
    },
  ),
  metric(
    'link',
    'clock_synced',
    'bool',
    'state',
    'UInt8',
    '1 when both ends reported synchronised clocks (STAMP error-estimate S bit).',
    { range: { min: 0, max: 1 } },
  ),
  metric('link', 'clock_error', 'ms', 'gauge', 'Float32', 'Combined clock error estimate of both ends.', {
    range: { min: 0, max: 1e6 },
  }),
  metric('link', 'jitter', 'ms', 'gauge', 'Float32', 'Mean absolute difference of consecutive RTTs (RFC 3550 style).', {
    range: { min: 0, max: 60000 },
  }),
  metric('link', 'loss_pct', 'percent', 'gauge', 'Float32', 'Share of probes with no reply in the interval.', {
    range: pct,
  }),
  metric('link', 'reordered', 'count', 'gauge', 'UInt32', 'Replies that arrived out of sequence in the interval.'),
  metric('link', 'duplicates', 'count', 'gauge', 'UInt32', 'Duplicate replies in the interval.'),
  metric('link', 'probes_sent', 'count', 'gauge', 'UInt32', 'Probes sent in the interval.'),
  metric('link', 'probes_received', 'count', 'gauge', 'UInt32', 'Distinct probe replies received in the interval.'),
  metric('link', 'throughput', 'bytes/s', 'gauge', 'Float64', 'Measured or carried throughput on the link.', {
    range: { min: 0, max: 1e13 },
  }),
  metric('link', 'capacity', 'bytes/s', 'gauge', 'Float64', 'Provisioned capacity of the link.', {
    range: { min: 0, max: 1e13 },
    rollup: false,
  }),
  metric('link', 'retransmits', 'count', 'counter', 'UInt64', 'TCP retransmissions during a throughput test.'),
  metric('link', 'crc_errors', 'count', 'counter', 'UInt64', 'CRC/FCS errors on the port (cumulative).'),
  metric('link', 'symbol_errors', 'count', 'counter', 'UInt64', 'Physical symbol errors on the port (cumulative).'),
  metric('link', 'fec_corrected', 'count', 'counter', 'UInt64', 'FEC codewords (or blocks) corrected (cumulative).'),
  metric(
    'link',
    'fec_uncorrected',
    'count',
    'counter',
    'UInt64',
    'FEC codewords (or blocks) that could not be corrected (cumulative).',
  ),
  metric('link', 'link_down_events', 'count', 'counter', 'UInt64', 'Times the carrier went down (cumulative).'),
  metric(
    'link',
    'optic_rx_power',
    'dBm',
    'gauge',
    'Float32',
    'Received optical power for this lane. Absent when the lane is dark (see optic_dark).',
    {
      range: { min: -40, max: 10 },
    },
  ),
  metric('link', 'optic_tx_power', 'dBm', 'gauge', 'Float32', 'Transmitted optical power for this lane.', {
    range: { min: -40, max: 10 },
  }),
  metric('link', 'optic_dark', 'bool', 'state', 'UInt8', '1 when the lane reads -inf dBm: no light at all.', {
    range: { min: 0, max: 1 },
  }),
  metric('link', 'optic_bias', 'mA', 'gauge', 'Float32', 'Laser bias current for this lane.', {
    range: { min: 0, max: 200 },
  }),
  metric('link', 'optic_temp', 'celsius', 'gauge', 'Float32', 'Module temperature.', { range: { min: -60, max: 150 } }),
  metric('link', 'optic_vcc', 'volts', 'gauge', 'Float32', 'Module supply voltage.', { range: { min: 0, max: 10 } }),
  metric(
    'link',
    'optic_alarms',
    'bitmask',
    'state',
    'UInt32',
    'Alarm and warning flags, a bitmask (see OPTIC_FLAG_BITS).',
  ),
];

export const METRICS: readonly MetricDef[] = [...gpu, ...host, ...link];

/** Every row carries its instant and where it came from. `source` tells real hardware from the twin. */
export const COMMON_LABELS = ['ts', 'source'] as const;

const lc = 'LowCardinality(String)' as const;
export const LABELS: readonly LabelDef[] = [
  {
    name: 'region',
    entity: 'gpu',
    type: lc,
    required: true,
    key: true,
    maxLength: 64,
    description: 'Region (data center) name.',
  },
  { name: 'host', entity: 'gpu', type: lc, required: true, key: true, maxLength: 253, description: 'Host name.' },
  {
    name: 'gpu_uuid',
    entity: 'gpu',
    type: lc,
    required: true,
    key: true,
    maxLength: 96,
    description: 'GPU UUID (for a MIG instance, its parent GPU).',
  },
  {
    name: 'mig_instance',
    entity: 'gpu',
    type: lc,
    required: false,
    key: true,
    maxLength: 32,
    description: 'MIG instance as "GI/CI", empty for a whole GPU.',
  },
  {
    name: 'gpu_index',
    entity: 'gpu',
    type: 'UInt16',
    required: false,
    key: false,
    description: 'nvidia-smi minor index on the host.',
  },
  {
    name: 'model',
    entity: 'gpu',
    type: lc,
    required: false,
    key: false,
    maxLength: 96,
    description: 'GPU product name.',
  },
  {
    name: 'mig_profile',
    entity: 'gpu',
    type: lc,
    required: false,
    key: false,
    maxLength: 32,
    description: 'MIG profile, e.g. 1g.10gb.',
  },
  {
    name: 'region',
    entity: 'host',
    type: lc,
    required: true,
    key: true,
    maxLength: 64,
    description: 'Region (data center) name.',
  },
  { name: 'host', entity: 'host', type: lc, required: true, key: true, maxLength: 253, description: 'Host name.' },
  {
    name: 'interface',
    entity: 'host',
    type: lc,
    required: false,
    key: true,
    maxLength: 64,
    description: 'Network interface for net_* metrics, empty for host-wide rows.',
  },
  {
    name: 'link_id',
    entity: 'link',
    type: lc,
    required: true,
    key: true,
    maxLength: 128,
    description: 'Link identity, e.g. "eu-west->us-east" or a host:port.',
  },
  {
    name: 'region_from',
    entity: 'link',
    type: lc,
    required: true,
    key: false,
    maxLength: 64,
    description: 'Region the probe or port is in.',
  },
  {
    name: 'region_to',
    entity: 'link',
    type: lc,
    required: false,
    key: false,
    maxLength: 64,
    description: 'Region at the far end.',
  },
  {
    name: 'host',
    entity: 'link',
    type: lc,
    required: true,
    key: true,
    maxLength: 253,
    description: 'Host that measured it.',
  },
  {
    name: 'lane',
    entity: 'link',
    type: 'UInt16',
    required: false,
    key: true,
    description: 'Optical lane (0 for probes and single-lane optics).',
  },
  {
    name: 'method',
    entity: 'link',
    type: lc,
    required: false,
    key: false,
    maxLength: 32,
    description: 'stamp, ping, iperf3, ethtool, sysfs or sim.',
  },
];

/** Bits of `optic_alarms`. Derived here once so parsers and dashboards agree. */
export const OPTIC_FLAG_BITS = {
  temp_high_alarm: 0,
  temp_low_alarm: 1,
  temp_high_warning: 2,
  temp_low_warning: 3,
  vcc_high_alarm: 4,
  vcc_low_alarm: 5,
  vcc_high_warning: 6,
  vcc_low_warning: 7,
  bias_high_alarm: 8,
  bias_low_alarm: 9,
  bias_high_warning: 10,
  bias_low_warning: 11,
  tx_power_high_alarm: 12,
  tx_power_low_alarm: 13,
  tx_power_high_warning: 14,
  tx_power_low_warning: 15,
  rx_power_high_alarm: 16,
  rx_power_low_alarm: 17,
  rx_power_high_warning: 18,
  rx_power_low_warning: 19,
  los: 20,
} as const;
