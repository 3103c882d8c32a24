/**
 * The DCGM alert rules' SQL on the real embedded store: a GPU whose NVLink, PCIe and row-remap
 * counters move breaches every rule, with its labels and the rate as `value`; a healthy GPU and a MIG
 * instance row never appear.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcgmAlertRules } from '@meridian/dashboards';
import { openStore, type SampleRow, type Store } from '@meridian/store';

const dir = mkdtempSync(path.join(tmpdir(), 'meridian-alerts-dcgm-'));
let store: Store;

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const now = Date.now();
  const row = (uuid: string, ago: number, v: number, mig = ''): SampleRow => ({
    ts: now - ago * 60_000,
    source: 'dcgm',
    region: 'eu',
    host: 'h1',
    gpu_uuid: uuid,
    mig_instance: mig,
    nvlink_crc_flit_errors: 2 * v,
    nvlink_crc_data_errors: v,
    nvlink_replay_errors: v,
    nvlink_recovery_errors: v > 0 ? 1 : 0,
    pcie_replay: 5 * v,
    remapped_rows_failed: v > 0 ? 1 : 0,
  });
  // Two samples each: the writer's increase is the second minus the first.
  const res = await store
    .writer('gpu')
    .write([
      row('GPU-bad', 3, 0),
      row('GPU-good', 3, 0),
      row('GPU-bad', 3, 0, '1'),
      row('GPU-bad', 2, 100),
      row('GPU-good', 2, 0),
      row('GPU-bad', 2, 100, '1'),
    ]);
  expect(res.rejected).toEqual([]);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DCGM alert rules', () => {
  const rules = dcgmAlertRules();

  it('covers NVLink CRC, replay and recovery, PCIe replay and row-remap failure', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'meridian-nvlink-crc',
      'meridian-nvlink-replay',
      'meridian-nvlink-recovery',
      'meridian-pcie-replay',
      'meridian-row-remap-failure',
    ]);
  });

  it.each(rules.map((r) => [r.id, r] as const))('%s fires for the bad GPU only, with its rate', async (_id, rule) => {
    const rows = await store.query<{ region: string; host: string; gpu_uuid: string; value: number }>(rule.sql);
    expect(rows.map((r) => [r.region, r.host, r.gpu_uuid])).toEqual([['eu', 'h1', 'GPU-bad']]);
    const expected: Record<string, number> = {
      'meridian-nvlink-crc': ((200 + 100) * 60) / 15,
      'meridian-nvlink-replay': (100 * 60) / 15,
      'meridian-nvlink-recovery': (1 * 60) / 15,
      'meridian-pcie-replay': (500 * 60) / 15,
      'meridian-row-remap-failure': 1,
    };
    expect(rows[0]?.value).toBeCloseTo(expected[rule.id] ?? Number.NaN, 6);
    expect(rows[0]?.value).toBeGreaterThan(rule.threshold);
  });
});
