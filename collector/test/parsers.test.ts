/**
 * Every real fixture under test/fixtures parses to the values a person reads in the file.
 * Values are quoted from the files (see the comment beside each), converted to canonical units.
 */
import { describe, expect, it } from 'vitest';
import { OPTIC_FLAG_BITS } from '@meridian/catalog';
import {
  parseDcgm,
  parseEthtoolM,
  parseEthtoolS,
  parseIperf3Json,
  parseNvidiaSmiCsv,
  parseNvidiaSmiNvlink,
  parseNvidiaSmiXml,
  parsePing,
  parseProcNetDev,
  type ParsedRecord,
} from '../src/parsers/index.js';
import { compileColumns, parseCsvLine } from '../src/parsers/nvidia-smi-csv.js';
import { allFixtures, fixture } from './fixtures-helpers.js';

const MiB = 1024 * 1024;

/** Which parser kind reads which fixture. A new fixture without an entry fails the first test. */
const KIND_OF: Record<string, string> = {
  'gpu/telegraf-tesla-t4-v11-q.xml': 'nvidia-smi-xml',
  'gpu/telegraf-a100-sxm4-80gb-mig-v12-q.xml': 'nvidia-smi-xml',
  'gpu/telegraf-2x-rtx-a5000-v13-q.xml': 'nvidia-smi-xml',
  'gpu/nvgpuexp-l40s-595.80-query-gpu-idle.csv': 'nvidia-smi-csv',
  'gpu/nvgpuexp-l40s-595.80-query-gpu-load.csv': 'nvidia-smi-csv',
  'gpu/nvgpuexp-l40s-595.80-capture.txt': 'nvidia-smi-csv',
  'gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom': 'dcgm',
  'gpu/datadog-tesla-t4-dcgm-exporter-metrics-fixture.prom': 'dcgm',
  'gpu/docs-dcgm-exporter-8x-a800-mig-metrics.prom': 'dcgm',
  'gpu/nvidia-smi-nvlink-e-h100-ml-engineering.txt': 'nvidia-smi-nvlink',
  // Read by attribution's MIG layout (collector/src/attribution/mig.ts), tested in attribution/mig.test.ts.
  'gpu/yandex-docs-2x-a100-80gb-mig-nvidia-smi-L.txt': 'nvidia-smi-L',
  'link/ethtool-m_sfp-10gsr_i40e_dom-healthy_showmax.txt': 'ethtool-m',
  'link/ethtool-m_qsfpplus-40g-sr4_sff8636_mlx4_1-of-4-lanes-lit_netdev-mail-excerpt.txt': 'ethtool-m',
  'link/ethtool-S_mlx5_core-kernel-4.15_with-phy-counters_ethq-testdata.txt': 'ethtool-s',
  'link/proc-net-dev_node-exporter-fixture.txt': 'proc-net-dev',
  'link/ping_iputils_broadcast-duplicates-pipe_jc-fixture.txt': 'ping',
  'link/iperf3-json_gcp-europe-west2-to-us-78ms-rtt_omit3-retrans222_cloudpilot.json': 'iperf3-json',
};

function noNaN(records: readonly ParsedRecord[]): void {
  for (const r of records) for (const v of Object.values(r.values)) expect(Number.isFinite(v)).toBe(true);
}

describe('fixture coverage', () => {
  it('has a parser test for every fixture file', () => {
    expect(allFixtures().sort()).toEqual(Object.keys(KIND_OF).sort());
  });
});

describe('nvidia-smi -q -x', () => {
  it('v11 Tesla T4: old power_readings / clocks_throttle_reasons names, N/A fan and HBM temp', () => {
    const r = parseNvidiaSmiXml(fixture('gpu/telegraf-tesla-t4-v11-q.xml'));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    const g = r.records[0]!;
    expect(g.labels).toMatchObject({
      gpu_uuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a',
      gpu_index: 0,
      model: 'Tesla T4',
    });
    expect(g.values.power_draw).toBe(26.78); // <power_draw>26.78 W
    expect(g.values.power_limit).toBe(70); // <power_limit>70.00 W
    expect(g.values.memory_used).toBe(1032 * MiB); // <used>1032 MiB
    expect(g.values.memory_total).toBe(15360 * MiB);
    expect(g.values.temp_gpu).toBe(40); // <gpu_temp>40 C
    expect(g.values.clock_mem).toBe(5000);
    expect(g.values.pcie_width).toBe(8); // <current_link_width>8x
    expect(g.values.pstate).toBe(0); // P0
    expect(g.values.throttle_reasons).toBe(0); // every clocks_throttle_reason_* is Not Active
    expect(g.values.throttled).toBe(0);
    expect(g.values.retired_pages_sbe).toBe(0);
    // N/A: fan_speed, memory_temp and remapped_rows are absent, not zero, and not errors.
    expect(g.values).not.toHaveProperty('fan_speed');
    expect(g.values).not.toHaveProperty('temp_memory');
    expect(g.values).not.toHaveProperty('remapped_rows_correctable');
    expect(g.errors).toEqual([]);
    expect(r.inventory[0]).toMatchObject({
      driver_version: '515.105.01',
      cuda_version: '11.7',
      serial: '0000000000000',
      ecc_mode: 'Enabled',
      pcie_gen_max: 3,
      pcie_width_max: 16,
      tdp: 70,
    });
  });

  it('v12 A100 with MIG: whole-GPU record has no utilization, one record per MIG instance', () => {
    const r = parseNvidiaSmiXml(fixture('gpu/telegraf-a100-sxm4-80gb-mig-v12-q.xml'));
    expect(r.records).toHaveLength(5); // 1 GPU (attached_gpus says 4, the file holds 1) + 4 mig_device
    const [gpu, ...migs] = r.records;
    expect(gpu!.labels).toMatchObject({ gpu_uuid: 'GPU-513536b6-7d19-9063-b049-1e69664bb298', gpu_index: 1 });
    expect(gpu!.labels).not.toHaveProperty('mig_instance');
    expect(gpu!.values.power_draw).toBe(67.03); // gpu_power_readings/power_draw
    expect(gpu!.values.power_limit).toBe(500); // current_power_limit
    expect(gpu!.values.temp_memory).toBe(44);
    expect(gpu!.values.memory_total).toBe(81920 * MiB);
    expect(gpu!.values.pcie_tx).toBe(4_000_000); // 4000 KB/s
    expect(gpu!.values.throttle_reasons).toBe(0); // clocks_event_reasons, all Not Active
    for (const k of ['util_gpu', 'util_memory', 'util_encoder', 'util_decoder', 'fan_speed', 'retired_pages_sbe']) {
      expect(gpu!.values).not.toHaveProperty(k); // N/A under MIG
    }
    expect(migs.map((m) => m.labels.mig_instance)).toEqual(['3/0', '4/0', '5/0', '6/0']);
    for (const m of migs) {
      expect(m.labels.gpu_uuid).toBe('GPU-513536b6-7d19-9063-b049-1e69664bb298');
      expect(m.values.memory_total).toBe(19968 * MiB);
      expect(m.values.memory_used).toBe(12 * MiB);
      expect(m.values.memory_free).toBe(19955 * MiB);
      expect(m.values.bar1_total).toBe(32767 * MiB);
    }
    expect(r.inventory[0]).toMatchObject({ mig_mode: 'Enabled', driver_version: '535.54.03', cuda_version: '12.2' });
    expect(r.inventory[1]).toMatchObject({
      mig_parent_uuid: 'GPU-513536b6-7d19-9063-b049-1e69664bb298',
      memory_total: 19968 * MiB,
    });
    noNaN(r.records);
  });

  it('v13 2x A5000: out of minor order, no <power_draw>, deprecated fields absent', () => {
    const r = parseNvidiaSmiXml(fixture('gpu/telegraf-2x-rtx-a5000-v13-q.xml'));
    expect(r.records).toHaveLength(2);
    // The file lists minor 1 (81:00.0) first; records come back in minor order.
    expect(r.records.map((x) => x.labels.gpu_index)).toEqual([0, 1]);
    const [g0, g1] = r.records;
    expect(g0!.labels.gpu_uuid).toBe('GPU-12345678-aaaa-bbbb-cccc-0123456789cd');
    expect(g1!.labels.gpu_uuid).toBe('GPU-12345678-aaaa-bbbb-cccc-0123456789ab');
    expect(g1!.values.power_draw).toBe(6.41); // average_power_draw 6.41 W, as CSV power.draw reports on v13 (instant 6.52 W)
    expect(g0!.values.power_draw).toBe(13.6);
    // remapped_row_corr / remapped_row_failure are the v13 element names (the catalog names them).
    expect(g0!.values.remapped_rows_correctable).toBe(0);
    expect(g0!.values.remapped_rows_failed).toBe(0);
    expect(g1!.values.memory_used).toBe(22437 * MiB);
    expect(g1!.values.fan_speed).toBe(30);
    expect(g1!.values.pstate).toBe(8);
    expect(g1!.values.pcie_gen).toBe(1);
    expect(g1!.values.temp_gpu).toBe(13);
    expect(g1!.values.remapped_rows_uncorrectable).toBe(0); // remapped_row_unc
    // clocks_event_reason_gpu_idle Active → NVML bit 0x1; idle is not a slowdown.
    expect(g1!.values.throttle_reasons).toBe(1);
    expect(g1!.values.throttled).toBe(0);
    expect(g1!.values).not.toHaveProperty('temp_memory'); // N/A
    expect(g1!.values).not.toHaveProperty('ecc_sbe_volatile'); // N/A (ECC disabled)
    expect(g1!.errors).toEqual([]); // "Requested functionality has been deprecated" is absent, not an error
    expect(r.inventory.map((i) => i.serial)).toEqual(['1234567890123', '0123456789012']);
  });

  it('ECC counts add SRAM and DRAM, and from v13 SRAM parity and SEC-DED, as the query fields do', () => {
    // The real files with ECC disabled (N/A): the same documents with the counts a board with ECC on prints.
    const v13 = fixture('gpu/telegraf-2x-rtx-a5000-v13-q.xml')
      .replace(/<sram_uncorrectable_parity>N\/A</g, '<sram_uncorrectable_parity>2<')
      .replace(/<sram_uncorrectable_secded>N\/A</g, '<sram_uncorrectable_secded>3<')
      .replace(/<dram_uncorrectable>N\/A</g, '<dram_uncorrectable>5<')
      .replace(/<sram_correctable>N\/A</g, '<sram_correctable>7<');
    const [g0] = parseNvidiaSmiXml(v13).records;
    expect(g0!.values.ecc_dbe_volatile).toBe(10);
    expect(g0!.values.ecc_dbe_aggregate).toBe(10);
    // dram_correctable stays N/A: the sum is of the elements that hold a number.
    expect(g0!.values.ecc_sbe_volatile).toBe(7);
    // The GPU's own <ecc_errors> (its MIG devices carry ECC blocks of their own, earlier in the file).
    const v12 = fixture('gpu/telegraf-a100-sxm4-80gb-mig-v12-q.xml').replace(
      /(<ecc_errors>\s*<volatile>\s*<sram_correctable>0<\/sram_correctable>\s*)<sram_uncorrectable>0<(\/sram_uncorrectable>\s*<dram_correctable>0<\/dram_correctable>\s*)<dram_uncorrectable>0</,
      '$1<sram_uncorrectable>1<$2<dram_uncorrectable>4<',
    );
    expect(v12).toContain('<sram_uncorrectable>1<');
    expect(parseNvidiaSmiXml(v12).records[0]!.values.ecc_dbe_volatile).toBe(5);
  });
});

describe('nvidia-smi --query-gpu CSV', () => {
  it('L40S idle section: header with units, bare N/A for temperature.memory', () => {
    const r = parseNvidiaSmiCsv(fixture('gpu/nvgpuexp-l40s-595.80-query-gpu-idle.csv'));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    const g = r.records[0]!;
    expect(g.labels).toMatchObject({
      gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      gpu_index: 0,
      model: 'NVIDIA L40S',
    });
    expect(g.values.util_gpu).toBe(100); // the "idle" section is not idle
    expect(g.values.power_draw).toBe(144.97);
    expect(g.values.memory_total).toBe(46068 * MiB);
    expect(g.values.clock_sm).toBe(2520); // header clocks.current.sm, catalog asks clocks.sm
    expect(g.values.clock_mem).toBe(9001);
    expect(g.values.temp_gpu).toBe(63);
    expect(g.values.throttle_reasons).toBe(0); // 0x0000000000000000
    expect(g.values).not.toHaveProperty('temp_memory'); // bare N/A
    expect(g.values).not.toHaveProperty('fan_speed'); // [N/A]
    expect(g.values).not.toHaveProperty('retired_pages_sbe'); // [N/A]
    expect(g.errors).toEqual([]);
  });

  it('L40S load section', () => {
    const g = parseNvidiaSmiCsv(fixture('gpu/nvgpuexp-l40s-595.80-query-gpu-load.csv')).records[0]!;
    expect(g.values.util_gpu).toBe(9);
    expect(g.values.util_encoder).toBe(60);
    expect(g.values.power_draw).toBe(110.23);
    expect(g.values.memory_used).toBe(1235 * MiB);
    expect(g.values.temp_gpu).toBe(54);
    expect(g.values.pcie_gen).toBe(4);
  });

  it('L40S capture file: only the two --query-gpu sections are read', () => {
    const r = parseNvidiaSmiCsv(fixture('gpu/nvgpuexp-l40s-595.80-capture.txt'));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(2);
    const [idle, load] = r.records;
    expect(idle!.values.power_draw).toBe(144.97);
    expect(load!.values.power_draw).toBe(110.23);
    expect(idle!.values.util_memory).toBe(9);
    expect(load!.values.util_memory).toBe(2);
    expect(load!.values.memory_free).toBe(44225 * MiB);
    expect(load!.values.power_limit).toBe(350);
  });

  it('streamed lines make the same records, keys in the same order, as one key set after another', () => {
    // parseCsvLine builds values from a template per shape (column-record.ts); without shapes it
    // sets them one by one as every other parser does. Both must give the same record.
    const fields = ['index', 'uuid', 'utilization.gpu', 'clocks_event_reasons.active', 'power.draw', 'memory.used'];
    const withShapes = compileColumns(fields);
    const { shapes: _shapes, ...plain } = withShapes;
    const repeated = compileColumns([...fields, 'utilization.gpu']); // a metric twice: no templates
    const { shapes: _repeatedShapes, ...repeatedPlain } = repeated;
    const lines = [
      '0, GPU-a, 17, 0x0000000000000004, 71.5, 1024',
      '1, GPU-b, [N/A], 0x1, N/A, -0', // absent values, and -0 stored as 0
      '2, GPU-c, 250, zz, 1e400, 2048', // out of range, unreadable, not finite: errors, in order
      '0, GPU-a, 17, 0x0000000000000004, 71.5, 1024', // the first shape again, from its template
    ];
    for (const line of lines) {
      const fast = parseCsvLine(line, withShapes);
      const slow = parseCsvLine(line, plain);
      expect(fast).toEqual(slow);
      if (!fast.ok || !slow.ok) throw new Error('both lines should parse');
      expect(Object.keys(fast.record.values)).toEqual(Object.keys(slow.record.values));
      expect(Object.is(fast.record.values.memory_used, slow.record.values.memory_used)).toBe(true);
      const twice = parseCsvLine(`${line}, 33`, repeated);
      const twiceSlow = parseCsvLine(`${line}, 33`, repeatedPlain);
      expect(twice).toEqual(twiceSlow);
      if (!twice.ok || !twiceSlow.ok) throw new Error('the line with a repeated column should parse');
      expect(Object.keys(twice.record.values)).toEqual(Object.keys(twiceSlow.record.values));
    }
    const first = parseCsvLine(lines[0]!, withShapes);
    expect(first.ok && first.record.values).toEqual({
      util_gpu: 17,
      throttled: 1,
      throttle_reasons: 4,
      power_draw: 71.5,
      memory_used: 1024 * MiB,
    });
  });
});

describe('dcgm-exporter /metrics', () => {
  it('A100 docs sample: GPU series and a MIG instance (GPU_I_ID 13) with only DCP series', () => {
    const r = parseDcgm(fixture('gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom'));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(2);
    const [gpu, mig] = r.records;
    expect(gpu!.labels).toMatchObject({ gpu_uuid: 'GPU-34319582-d595-d1c7-d1d2-179bcfa61660', gpu_index: 0 });
    expect(gpu!.values.power_draw).toBe(409.692);
    expect(gpu!.values.energy_total).toBeCloseTo(319159.391, 6); // 319159391 mJ → J
    expect(gpu!.values.memory_used).toBe(4845 * MiB);
    expect(gpu!.values.memory_free).toBe(35690 * MiB);
    expect(gpu!.values.temp_memory).toBe(69);
    expect(gpu!.values.pcie_rx).toBe(97863601);
    // Profiling ratios (0..1 in the file) are columns in percent.
    expect(gpu!.values.util_gr_engine_active).toBeCloseTo(99.563, 6); // 0.995630
    expect(gpu!.values.util_tensor_active).toBeCloseTo(92.926, 6); // 0.929260
    expect(gpu!.values.util_dram_active).toBeCloseTo(69.0789, 6); // 0.690789
    expect(gpu!.values.pcie_replay).toBe(0);
    expect(gpu!.extra.map((e) => e.name)).not.toContain('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(mig!.labels).toMatchObject({ mig_instance: '13', mig_profile: '1g.5gb' });
    expect(mig!.values.xid_last).toBe(0);
    expect(mig!.values).not.toHaveProperty('util_gpu'); // MIG has no GPU_UTIL series
    // The instance's own profiling figures, not its parent's.
    expect(mig!.values.util_gr_engine_active).toBeCloseTo(99.5687, 6); // 0.995687
    expect(mig!.values.util_tensor_active).toBeCloseTo(93.0433, 6); // 0.930433
    expect(mig!.values.util_dram_active).toBeCloseTo(80.0339, 6); // 0.800339
  });

  it('Datadog T4 fixture: two hosts, empty HELP, NOTE lines, label-less dummy block, no trailing newline', () => {
    const r = parseDcgm(fixture('gpu/datadog-tesla-t4-dcgm-exporter-metrics-fixture.prom'));
    expect(r.errors).toEqual([]);
    const byUuid = new Map(r.records.map((x) => [x.labels.gpu_uuid, x]));
    const a = byUuid.get('GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e')!;
    expect(a.values.clock_sm).toBe(300);
    expect(a.values.power_draw).toBe(8.969);
    expect(a.values.memory_free).toBe(15109 * MiB);
    expect(a.labels.model).toBe('Tesla T4');
    const b = byUuid.get('GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5')!;
    expect(b.values.power_limit).toBe(70);
    expect(b.values.pstate).toBe(8);
    expect(b.values.throttle_reasons).toBe(1);
    expect(b.extra.find((e) => e.name === 'DCGM_FI_DEV_SLOWDOWN_TEMP')?.value).toBe(93);
    const a10 = byUuid.get('GPU-abc')!;
    expect(a10.labels.model).toBe('NVIDIA A10G');
    expect(a10.values).toHaveProperty('util_dram_active');
    // The "dummy values" block carries no labels at all: kept, but flagged as unattributable.
    const orphan = r.records.find((x) => x.labels.gpu_uuid === undefined)!;
    expect(orphan.errors.map((e) => e.field)).toEqual(['gpu_uuid']);
    expect(orphan.values.remapped_rows_uncorrectable).toBe(0);
    noNaN(r.records);
  });
});

describe('dcgm-exporter /metrics, 8 GPUs', () => {
  const r = parseDcgm(fixture('gpu/docs-dcgm-exporter-8x-a800-mig-metrics.prom'));
  const whole = (i: number) => r.records.find((x) => x.labels.gpu_index === i && x.labels.mig_instance === undefined)!;

  it('A800 node: 7 whole GPUs, GPU 0 in MIG mode with three instances under a parent record', () => {
    expect(r.records).toHaveLength(11);
    expect(r.records.filter((x) => x.labels.mig_instance !== undefined).map((x) => x.labels.mig_instance)).toEqual([
      '3',
      '5',
      '6',
    ]);
    // GPU 0 has no whole-GPU series in the file: its device-wide values come from the instance rows.
    const g0 = whole(0);
    expect(g0.labels).toMatchObject({
      gpu_uuid: 'GPU-1f027ee8-6e1e-2b8c-0108-3d370e5f0418',
      model: 'NVIDIA A800-SXM4-80GB',
    });
    expect(g0.values.power_draw).toBe(78.174); // GI 3's line (GI 6 read 78.446 a moment later)
    expect(g0.values.energy_total).toBeCloseTo(257858.316, 6); // 257858316 mJ
    expect(g0.values.clock_sm).toBe(1410);
    expect(g0.values.temp_gpu).toBe(33);
    expect(g0.values.temp_memory).toBe(29);
    const gi6 = r.records.find((x) => x.labels.mig_instance === '6')!;
    expect(gi6.labels.mig_profile).toBe('2g.20gb');
    expect(gi6.values.memory_used).toBe(10 * MiB);
    expect(gi6.values.memory_free).toBe(19957 * MiB);
    expect(gi6.values.util_gr_engine_active).toBe(0); // 0.000000
    expect(gi6.values).not.toHaveProperty('power_draw'); // the parent's, not the instance's
  });

  it('whole GPUs: each value read in the file', () => {
    const g1 = whole(1);
    expect(g1.labels.gpu_uuid).toBe('GPU-9e5b8fec-61bf-5124-a0a9-079af1b65cc6');
    expect(g1.values).toMatchObject({
      clock_sm: 210,
      clock_mem: 1593,
      temp_gpu: 27,
      temp_memory: 25,
      power_draw: 55.942,
      util_gpu: 0,
      util_tensor_active: 0,
      util_dram_active: 0,
      util_gr_engine_active: 0,
      pcie_tx: 143341, // PROF_PCIE_TX_BYTES, bytes per second
      pcie_rx: 211846,
      pcie_replay: 0,
      remapped_rows_failed: 0,
      memory_used: 2 * MiB,
      memory_free: 81226 * MiB,
    });
    expect(g1.values.energy_total).toBeCloseTo(187554.325, 6);
    const g7 = whole(7);
    expect(g7.values).toMatchObject({
      temp_gpu: 29,
      temp_memory: 28,
      power_draw: 55.011,
      pcie_tx: 145473,
      pcie_rx: 213124,
    });
    expect(g7.values.energy_total).toBeCloseTo(183986.286, 6);
    expect(whole(3).values.pcie_tx).toBe(172128);
    expect(whole(5).values.temp_gpu).toBe(26);
    noNaN(r.records);
  });

  it('names the ten lines whose value is "ERROR - FAILED TO CONVERT TO STRING"', () => {
    expect(r.errors).toHaveLength(10);
    expect(new Set(r.errors.map((e) => e.field))).toEqual(new Set(['DCGM_FI_DEV_VGPU_PER_PROCESS_UTILIZATION']));
  });
});

describe('nvidia-smi nvlink -e', () => {
  it('H100 excerpt: 18 links named, the elided ones skipped, totals over the links printed', () => {
    const r = parseNvidiaSmiNvlink(fixture('gpu/nvidia-smi-nvlink-e-h100-ml-engineering.txt'));
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
    const g = r.records[0]!;
    expect(g.source).toBe('nvidia-smi');
    expect(g.labels).toEqual({
      gpu_index: 0,
      model: 'NVIDIA H100 80GB HBM3',
      gpu_uuid: 'GPU-abcdefab-cdef-abdc-abcd-abababababab',
    });
    expect(g.values).toEqual({ nvlink_replay_errors: 0, nvlink_recovery_errors: 0, nvlink_crc_flit_errors: 0 });
    expect(new Set(g.extra.map((e) => e.labels.nvlink))).toEqual(new Set(['0', '1', '17']));
    expect(g.extra).toContainEqual({ name: 'nvlink_crc_flit_errors', labels: { nvlink: '17' }, value: 0 });
  });
});

describe('ethtool -m', () => {
  it('SFF-8472 10G-SR SFP, healthy DOM: lane 0', () => {
    const r = parseEthtoolM(fixture('link/ethtool-m_sfp-10gsr_i40e_dom-healthy_showmax.txt'), { iface: 'eth0' });
    expect(r.records).toHaveLength(1);
    const l = r.records[0]!;
    expect(l.labels).toMatchObject({ link_id: 'eth0', lane: 0, method: 'ethtool' });
    expect(l.values.optic_bias).toBe(6.09);
    expect(l.values.optic_tx_power).toBe(-1.96);
    expect(l.values.optic_rx_power).toBe(-1.88);
    expect(l.values.optic_temp).toBe(39.18);
    expect(l.values.optic_vcc).toBe(3.3544);
    expect(l.values.optic_dark).toBe(0);
    expect(l.values.optic_alarms).toBe(0); // all 20 flags Off
    expect(l.extra.find((e) => e.name === 'optic_rx_power_low_alarm_threshold')?.value).toBe(-14.1);
    expect(l.errors).toEqual([]);
  });

  it('SFF-8636 QSFP+ with one lit lane: dark lanes have no rx power and -inf thresholds are errors', () => {
    const r = parseEthtoolM(
      fixture('link/ethtool-m_qsfpplus-40g-sr4_sff8636_mlx4_1-of-4-lanes-lit_netdev-mail-excerpt.txt'),
    );
    expect(r.records.map((x) => x.labels.lane)).toEqual([1, 2, 3, 4]);
    const [l1, l2] = r.records;
    expect(l1!.labels.link_id).toBe('eth2'); // from the "# ethtool -m eth2" line
    expect(l1!.values.optic_bias).toBe(6.662);
    expect(l1!.values.optic_tx_power).toBe(-1.48);
    expect(l1!.values.optic_rx_power).toBe(-1.15); // "power(Channel 1)", no space
    expect(l1!.values.optic_dark).toBe(0);
    expect(l1!.values.optic_temp).toBe(42.17);
    expect(l1!.values.optic_vcc).toBe(3.2917);
    expect(l2!.values.optic_dark).toBe(1);
    expect(l2!.values).not.toHaveProperty('optic_rx_power');
    expect(l2!.values).not.toHaveProperty('optic_tx_power');
    expect(l2!.values.optic_bias).toBe(0);
    expect(l2!.values.optic_temp).toBe(42.17); // module-wide reading repeated per lane
    expect(l1!.errors.map((e) => e.field)).toContain('optic_tx_power_high_alarm_threshold');
    expect(l1!.extra.find((e) => e.name === 'optic_rx_power_low_warning_threshold')?.value).toBe(-9.5);
    noNaN(r.records);
  });

  it('folds On flags into OPTIC_FLAG_BITS per lane and module-wide', () => {
    const text = [
      '        Module temperature                        : 81.00 degrees C / 177.80 degrees F',
      '        Laser tx bias current (Channel 1)         : 6.662 mA',
      '        Laser tx bias current (Channel 2)         : 6.500 mA',
      '        Module temperature high alarm             : On',
      '        Laser bias current high warning (Chan 2)  : On',
      '        Laser rx power low alarm    (Channel 2)   : On',
      '        Laser rx power low alarm    (Channel 1)   : Off',
    ].join('\n');
    const [l1, l2] = parseEthtoolM(text, { iface: 'eth9' }).records;
    expect(l1!.values.optic_alarms).toBe(1 << OPTIC_FLAG_BITS.temp_high_alarm);
    expect(l2!.values.optic_alarms).toBe(
      (1 << OPTIC_FLAG_BITS.temp_high_alarm) |
        (1 << OPTIC_FLAG_BITS.bias_high_warning) |
        (1 << OPTIC_FLAG_BITS.rx_power_low_alarm),
    );
  });
});

describe('ethtool -m, CMIS wording', () => {
  it('reads "power (Channel N)" with a space and the per-lane Rx LOS list', () => {
    // CMIS layout as ethtool 6.x prints it (8 lanes, a space before the parenthesis, LOS as a list).
    const text = [
      '\tIdentifier                                : 0x18 (QSFP-DD Double Density 8X Pluggable Transceiver (INF-8628))',
      '\tModule temperature                        : 70.49 degrees C / 158.88 degrees F',
      '\tModule voltage                            : 3.2791 V',
      '\tLaser tx bias current (Channel 1)         : 73.098 mA',
      '\tLaser tx bias current (Channel 2)         : 110.002 mA',
      '\tTransmit avg optical power (Channel 1)    : 1.6537 mW / 2.18 dBm',
      '\tTransmit avg optical power (Channel 2)    : 1.4454 mW / 1.60 dBm',
      '\tRcvr signal avg optical power (Channel 1) : 2.2387 mW / 3.50 dBm',
      '\tRcvr signal avg optical power (Channel 2) : 0.0000 mW / -inf dBm',
      '\tRx loss of signal                         : [ No, Yes ]',
    ].join('\n');
    const [l1, l2] = parseEthtoolM(text, { iface: 'eth8' }).records;
    expect(l1!.values).toMatchObject({
      optic_bias: 73.098,
      optic_tx_power: 2.18,
      optic_rx_power: 3.5,
      optic_temp: 70.49,
      optic_alarms: 0,
    });
    expect(l2!.values).toMatchObject({
      optic_bias: 110.002,
      optic_tx_power: 1.6,
      optic_dark: 1,
      optic_alarms: 1 << OPTIC_FLAG_BITS.los,
    });
    expect(l2!.values).not.toHaveProperty('optic_rx_power');
  });
});

describe('ethtool -S', () => {
  it('mlx5 ConnectX-4: PHY counters mapped, every counter kept', () => {
    const r = parseEthtoolS(fixture('link/ethtool-S_mlx5_core-kernel-4.15_with-phy-counters_ethq-testdata.txt'), {
      iface: 'ens1f0',
    });
    const l = r.records[0]!;
    expect(l.labels).toMatchObject({ link_id: 'ens1f0', method: 'ethtool' });
    expect(l.values.crc_errors).toBe(0); // rx_crc_errors_phy: 0
    expect(l.values.symbol_errors).toBe(0); // rx_pcs_symbol_err_phy: 0
    expect(l.values.link_down_events).toBe(0); // link_down_events_phy: 0
    expect(l.values).not.toHaveProperty('fec_corrected'); // only corrected *bits* on this driver
    expect(r.counters.get('rx_packets')).toBe(845320277);
    expect(r.counters.get('rx_packets_phy')).toBe(845715962);
    expect(r.counters.get('tx_bytes_phy')).toBe(2662454044895);
    expect(r.counters.get('tx_pci_signal_integrity')).toBe(34);
  });

  it('picks other drivers’ spellings (bnxt, i40e, prefixed keys)', () => {
    const bnxt = parseEthtoolS(
      'NIC statistics:\n     rx_fcs_err_frames: 7\n     rx_fec_corrected_blocks: 1234\n     rx_fec_uncorrectable_blocks: 2\n     link_down_events: 3\n',
    ).records[0]!;
    expect(bnxt.values).toMatchObject({ crc_errors: 7, fec_corrected: 1234, fec_uncorrected: 2, link_down_events: 3 });
    const i40e = parseEthtoolS('NIC statistics:\n     port.rx_crc_errors: 11\n     [0]: rx_bytes: 5\n').records[0]!;
    expect(i40e.values.crc_errors).toBe(11);
  });
});

describe('/proc/net/dev', () => {
  it('node_exporter fixture: wide numbers glued to the colon, a name with a colon', () => {
    const r = parseProcNetDev(fixture('link/proc-net-dev_node-exporter-fixture.txt'));
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.labels.interface)).toEqual([
      'tun0',
      'veth4B09XN',
      'lo',
      'eth0',
      'lxcbr0',
      'wlan0',
      'docker0',
      'ibr10:30',
    ]);
    const eth0 = r.records.find((x) => x.labels.interface === 'eth0')!;
    expect(eth0.values.net_rx_bytes).toBe(68210035552);
    expect(eth0.values.net_rx_packets).toBe(520993275);
    expect(eth0.values.net_tx_bytes).toBe(9315587528);
    expect(eth0.values.net_tx_packets).toBe(43451486);
    const docker = r.records.find((x) => x.labels.interface === 'docker0')!;
    expect(docker.values.net_tx_bytes).toBe(2681662018);
    expect(r.records.find((x) => x.labels.interface === 'ibr10:30')!.values.net_rx_bytes).toBe(0);
  });

  it('reads odd lines as the "name: 16 counters" pattern does: the last colon followed by 16 fields', () => {
    const c = (n: number, first = 1) => Array.from({ length: n }, (_, i) => String(first + i)).join(' ');
    const text = [
      'Inter-|   Receive',
      ' face |bytes',
      `  a:b: ${c(16)}`, // the name holds a colon
      `  x: ${c(15)} 7:8`, // a field holds one: the colon before the fields is the one
      `\tväth0:${c(16, 5)}\t`, // outside ASCII, tabs
      `  short: ${c(15)}`, // one field short: refused
      `  long: ${c(17)}`, // one too many: refused
      `   : ${c(16)}`, // no name: refused
    ].join('\n');
    const r = parseProcNetDev(text);
    expect(r.records.map((x) => [x.labels.interface, x.values.net_rx_bytes, x.values.net_tx_drops])).toEqual([
      ['a:b', 1, 12],
      ['x', 1, 12],
      ['väth0', 5, 16],
    ]);
    expect(r.records[1]!.errors).toEqual([]);
    expect(r.errors.map((e) => e.line)).toEqual([6, 7, 8]);
  });
});

describe('ping', () => {
  it('iputils broadcast with duplicates and ", pipe 2"', () => {
    const l = parsePing(fixture('link/ping_iputils_broadcast-duplicates-pipe_jc-fixture.txt')).records[0]!;
    expect(l.labels).toMatchObject({ link_id: '192.168.1.255', method: 'ping' });
    expect(l.values.probes_sent).toBe(2);
    expect(l.values.probes_received).toBe(2);
    expect(l.values.duplicates).toBe(19);
    expect(l.values.loss_pct).toBe(0);
    expect(l.values.rtt_min).toBe(0.586);
    expect(l.values.rtt_avg).toBe(504.26);
    expect(l.values.rtt_max).toBe(1276.448);
    expect(l.values.jitter).toBeCloseTo(0.275, 9); // |0.861 - 0.586| between the two first replies
    expect(l.values.reordered).toBe(0);
    expect(l.values.rtt_p50).toBe(387); // median of the 21 reply times
  });

  it('100 % loss has no rtt line: rtts absent, loss 100', () => {
    const text =
      'PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.\n\n--- 10.0.0.9 ping statistics ---\n5 packets transmitted, 0 received, 100% packet loss, time 4099ms\n';
    const l = parsePing(text).records[0]!;
    expect(l.values).toMatchObject({ probes_sent: 5, probes_received: 0, loss_pct: 100 });
    expect(l.values).not.toHaveProperty('rtt_avg');
  });
});

describe('iperf3 -J', () => {
  it('GCP europe-west2 → US: receiver throughput, sender retransmits, µs RTTs in ms', () => {
    const l = parseIperf3Json(
      fixture('link/iperf3-json_gcp-europe-west2-to-us-78ms-rtt_omit3-retrans222_cloudpilot.json'),
    ).records[0]!;
    expect(l.labels).toMatchObject({ link_id: '34.145.215.216', method: 'iperf3' });
    expect(l.values.throughput).toBeCloseTo(299806774.08978015 / 8, 3);
    expect(l.values.retransmits).toBe(222);
    expect(l.values.rtt_min).toBe(78.409);
    expect(l.values.rtt_avg).toBe(79.22);
    expect(l.values.rtt_max).toBe(81.865);
  });
});
