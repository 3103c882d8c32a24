/**
 * NVLink error counters, total and per link, from both sources, on inputs shaped like the real ones
 * (the captures in test/fixtures are all zero): dcgm-exporter's per-link series and `nvidia-smi
 * nvlink -e` blocks with non-zero counts, older counter names, N/A and broken values.
 */
import { describe, expect, it } from 'vitest';
import { parseDcgm, parseNvidiaSmiNvlink } from '../src/parsers/index.js';

const L = 'gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3"';

describe('dcgm-exporter NVLink counters', () => {
  it('per-link series become extras by link and add up to the total when no _TOTAL is printed', () => {
    const r = parseDcgm(
      [
        `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L0{${L}} 3`,
        `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L11{${L}} 4`,
        `DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L2{${L}} 9`,
        `DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL{${L}} 12`,
        `DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL{${L}} 1`,
        `DCGM_FI_PROF_SM_ACTIVE{${L}} 0.42`,
        `DCGM_FI_PROF_SM_OCCUPANCY{${L}} 0.25`,
        `DCGM_FI_PROF_PIPE_FP64_ACTIVE{${L}} 0.1`,
        `DCGM_FI_PROF_PIPE_FP32_ACTIVE{${L}} 0.2`,
        `DCGM_FI_PROF_PIPE_FP16_ACTIVE{${L}} 0.3`,
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    const g = r.records[0]!;
    expect(g.values).toMatchObject({
      nvlink_replay_errors: 7, // 3 + 4 over the links: no _TOTAL series
      nvlink_crc_flit_errors: 12, // the exporter's own total wins over the one link shown
      nvlink_recovery_errors: 1,
      util_sm_active: 42,
      util_sm_occupancy: 25,
      util_fp64_active: 10,
      util_fp32_active: 20,
      util_fp16_active: 30,
    });
    expect(g.extra).toEqual([
      { name: 'nvlink_replay_errors', labels: { nvlink: '0' }, value: 3 },
      { name: 'nvlink_replay_errors', labels: { nvlink: '11' }, value: 4 },
      { name: 'nvlink_crc_flit_errors', labels: { nvlink: '2' }, value: 9 },
    ]);
  });

  it('a profiling ratio above 1 is refused as out of range, naming the column', () => {
    const g = parseDcgm(`DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{${L}} 1.5`).records[0]!;
    expect(g.values).not.toHaveProperty('util_tensor_active');
    expect(g.errors.map((e) => [e.field, e.reason])).toEqual([['util_tensor_active', 'out_of_range']]);
  });

  it('NVLink counters on a MIG row belong to the parent GPU', () => {
    const r = parseDcgm(
      [
        `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL{${L}} 5`,
        `DCGM_FI_PROF_GR_ENGINE_ACTIVE{${L},GPU_I_ID="1",GPU_I_PROFILE="3g.40gb"} 0.5`,
        `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL{${L},GPU_I_ID="1",GPU_I_PROFILE="3g.40gb"} 5`,
      ].join('\n'),
    );
    const [gpu, mig] = r.records;
    expect(gpu!.values).toEqual({ nvlink_replay_errors: 5 });
    expect(mig!.values).toEqual({ util_gr_engine_active: 50 });
  });
});

describe('nvidia-smi nvlink -e', () => {
  const block = (gpu: number, uuid: string, lines: string[]) =>
    [`GPU ${gpu}: NVIDIA A100-SXM4-80GB (UUID: ${uuid})`, ...lines.map((l) => `\t ${l}`)].join('\n');

  it('sums each counter over the links, keeps each link, reads the older counter names', () => {
    const text = [
      block(0, 'GPU-0', [
        'Link 0: Replay Errors: 2',
        'Link 0: Recovery Errors: 0',
        'Link 0: CRC Flit Errors: 5',
        'Link 0: CRC Data Errors: 1',
        'Link 1: Replay Errors: 3',
        'Link 1: CRC Flit Errors: 0',
        'Link 1: ECC Errors: 4',
      ]),
      block(1, 'GPU-1', ['Link 0: Replay Error: 1', 'Link 0: CRC FLIT Error: 6', 'Link 0: Recovery Error: N/A']),
    ].join('\n');
    const r = parseNvidiaSmiNvlink(text);
    expect(r.errors).toEqual([]);
    const [a, b] = r.records;
    expect(a!.values).toEqual({
      nvlink_replay_errors: 5,
      nvlink_recovery_errors: 0,
      nvlink_crc_flit_errors: 5,
      nvlink_crc_data_errors: 1,
    });
    expect(a!.extra).toContainEqual({ name: 'nvidia_smi_nvlink_ecc_errors', labels: { nvlink: '1' }, value: 4 });
    expect(a!.extra).toContainEqual({ name: 'nvlink_replay_errors', labels: { nvlink: '1' }, value: 3 });
    // N/A is absent, never 0.
    expect(b!.values).toEqual({ nvlink_replay_errors: 1, nvlink_crc_flit_errors: 6 });
  });

  it('a count that is not a number is absent and named; a Link line before any GPU is a document error', () => {
    const r = parseNvidiaSmiNvlink(
      [
        '\t Link 0: Replay Errors: 1',
        block(0, 'GPU-0', ['Link 0: Replay Errors: lots', 'Link 1: Replay Errors: 2']),
      ].join('\n'),
    );
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([[1, 'malformed']]);
    const g = r.records[0]!;
    expect(g.errors.map((e) => e.field)).toEqual(['nvlink_replay_errors']);
    expect(g.errors[0]!.message).toContain('"lots"');
    expect(g.values.nvlink_replay_errors).toBe(2); // the readable link still counts
  });

  it('a GPU line without a UUID names gpu_uuid as its error', () => {
    const r = parseNvidiaSmiNvlink('GPU 3: NVIDIA H100\n\t Link 0: Replay Errors: 0\n');
    expect(r.records[0]!.errors.map((e) => e.field)).toEqual(['gpu_uuid']);
    expect(r.records[0]!.labels.gpu_index).toBe(3);
  });
});
