import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleRow, Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

describe('sample writers', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  it('round-trips GPU rows with exact values, millisecond timestamps and absent fields as NULL', async () => {
    const rows: SampleRow[] = [
      {
        ts: T0 + 123,
        source: 'nvidia-smi',
        region: 'eu-north',
        host: 'gpu-a01',
        gpu_uuid: 'GPU-34319582-d595-d1c7-d1d2-179bcfa61660',
        gpu_index: 3,
        model: 'NVIDIA A100-SXM4-80GB',
        util_gpu: 87.5,
        memory_used: 81_920 * 1024 * 1024,
        memory_total: 2 ** 40 + 7,
        power_draw: 312.25,
        temp_gpu: 71,
        throttle_reasons: 0x4,
        pstate: 0,
        ecc_dbe_aggregate: 9_007_199_254_740_991,
        energy_total: 123456789.125,
      },
      { ts: T0 + 1123, source: 'nvidia-smi', region: 'eu-north', host: 'gpu-a01', gpu_uuid: 'GPU-2', util_gpu: null },
    ];
    const res = await store.writer('gpu').write(rows);
    expect(res.written).toBe(2);
    expect(res.rejected).toEqual([]);
    const back = await store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ms, source, region, host, gpu_uuid, gpu_index, model, mig_instance,
              util_gpu, toString(memory_used) AS mu, toString(memory_total) AS mt, power_draw, temp_gpu,
              throttle_reasons, pstate, toString(ecc_dbe_aggregate) AS dbe, energy_total, temp_memory
       FROM gpu_samples ORDER BY ts`,
    );
    expect(back[0]).toEqual({
      ms: T0 + 123,
      source: 'nvidia-smi',
      region: 'eu-north',
      host: 'gpu-a01',
      gpu_uuid: 'GPU-34319582-d595-d1c7-d1d2-179bcfa61660',
      gpu_index: 3,
      model: 'NVIDIA A100-SXM4-80GB',
      mig_instance: '',
      util_gpu: 87.5,
      mu: String(81_920 * 1024 * 1024),
      mt: String(2 ** 40 + 7),
      power_draw: 312.25,
      temp_gpu: 71,
      throttle_reasons: 4,
      pstate: 0,
      dbe: '9007199254740991',
      energy_total: 123456789.125,
      temp_memory: null,
    });
    expect(back[1]).toMatchObject({ ms: T0 + 1123, gpu_uuid: 'GPU-2', util_gpu: null, gpu_index: 0 });
  });

  it('round-trips host and link rows', async () => {
    await store.writer('host').write([
      {
        ts: T0,
        source: 'host',
        region: 'us-east',
        host: 'h1',
        interface: 'eth0',
        net_rx_bytes: 2 ** 50,
        net_rx_errors: 3,
        cpu_util: 12.5,
      },
    ]);
    await store.writer('link').write([
      {
        ts: T0,
        source: 'stamp',
        link_id: 'eu-north->us-east',
        region_from: 'eu-north',
        region_to: 'us-east',
        host: 'h1',
        lane: 2,
        method: 'stamp',
        rtt_p50: 19.75,
        loss_pct: 0.5,
        optic_dark: 1,
        optic_rx_power: null,
        throughput: 1.25e10,
      },
    ]);
    expect(
      await store.query('SELECT interface, toString(net_rx_bytes) AS b, net_rx_errors, cpu_util FROM host_samples'),
    ).toEqual([{ interface: 'eth0', b: String(2 ** 50), net_rx_errors: 3, cpu_util: 12.5 }]);
    expect(
      await store.query(
        'SELECT lane, method, rtt_p50, loss_pct, optic_dark, optic_rx_power, throughput FROM link_samples',
      ),
    ).toEqual([
      {
        lane: 2,
        method: 'stamp',
        rtt_p50: 19.75,
        loss_pct: 0.5,
        optic_dark: 1,
        optic_rx_power: null,
        throughput: 1.25e10,
      },
    ]);
  });

  it('rejects bad rows naming the row and field, and keeps the rest of the batch', async () => {
    const ok = (i: number): SampleRow => ({
      ts: T0 + 60_000 + i,
      source: 'sim',
      region: 'r',
      host: 'bad-batch',
      gpu_uuid: `G${i}`,
      util_gpu: 50,
    });
    const rows: SampleRow[] = [
      ok(0),
      { ...ok(1), util_gpu: 'high' },
      { ...ok(2), power_draw: Number.NaN },
      { ...ok(3), power_draw: Number.POSITIVE_INFINITY },
      { ...ok(4), not_a_metric: 1 },
      { ts: T0, source: 'sim', region: 'r', gpu_uuid: 'G5' },
      { ...ok(6), host: 'x'.repeat(300) },
      { ...ok(7), power_draw: 1e30 },
      { ...ok(8), memory_used: -1 },
      { ...ok(9), ts: 1_764_000_000 },
      ok(10),
    ];
    const res = await store.writer('gpu').write(rows);
    expect(res.written).toBe(2);
    expect(res.rejected).toEqual([
      { row: 1, field: 'util_gpu', message: 'must be a number, got string' },
      { row: 2, field: 'power_draw', message: 'must be finite, got NaN' },
      { row: 3, field: 'power_draw', message: 'must be finite, got Infinity' },
      { row: 4, field: 'not_a_metric', message: 'unknown column for gpu (not in the metric catalog)' },
      { row: 5, field: 'host', message: 'required label is missing' },
      { row: 6, field: 'host', message: 'longer than 253 characters (300)' },
      { row: 7, field: 'power_draw', message: 'out of range [0, 5000] watts: 1e+30' },
      { row: 8, field: 'memory_used', message: 'must be an integer in UInt64 range, got -1' },
      { row: 9, field: 'ts', message: 'must be epoch milliseconds between 2000 and 2200, got 1764000000' },
    ]);
    const stored = await store.query<{ gpu_uuid: string }>(
      "SELECT gpu_uuid FROM gpu_samples WHERE host = 'bad-batch' ORDER BY gpu_uuid",
    );
    expect(stored.map((r) => r.gpu_uuid)).toEqual(['G0', 'G10']);
  });
});
