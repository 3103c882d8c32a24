import { METRICS, readExpr, resolutionForRange, rollupColumns } from '@meridian/catalog';
import { describe, expect, it } from 'vitest';
import { GPU, GPU_SERIES, LINK_SERIES } from './catalogRefs';
import { fiberFloorMs, linkHealth, regionHealth } from './health';
import { nestMig, sortGpus, filterGpus, toGpuRow } from './gpus';
import {
  throttleReasonsSql,
  gpuSeriesSql,
  gpuTableSql,
  hostSummarySql,
  linkHistorySql,
  linkSummarySql,
  recentDecisionsSql,
  regionSummarySql,
} from './queries';
import { intervalMs } from './resolution';
import { throttleReasonNames } from './throttleReasons';
import { literal } from './sql';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 0, 0, 0);

describe('catalog references', () => {
  it('resolve to catalog metrics', () => {
    for (const m of [...GPU_SERIES, ...LINK_SERIES]) expect(METRICS).toContain(m);
  });
});

describe('resolutionForRange', () => {
  it('reads raw for up to 6 h, the 1-minute rollup up to 7 days, the hourly rollup beyond', () => {
    expect(resolutionForRange(NOW - 6 * H, NOW, NOW)).toBe('raw');
    expect(resolutionForRange(NOW - 7 * H, NOW, NOW)).toBe('1m');
    expect(resolutionForRange(NOW - 7 * 24 * H, NOW, NOW)).toBe('1m');
    expect(resolutionForRange(NOW - 8 * 24 * H, NOW, NOW)).toBe('1h');
  });
  it('falls back to a rollup when the range starts before raw retention', () => {
    expect(resolutionForRange(NOW - 20 * 24 * H, NOW - 20 * 24 * H + H, NOW)).toBe('1m');
    expect(resolutionForRange(NOW - 100 * 24 * H, NOW - 100 * 24 * H + H, NOW)).toBe('1h');
  });
  it('rejects an empty range', () => {
    expect(() => resolutionForRange(NOW, NOW, NOW)).toThrow('"to"');
  });
  it('never buckets finer than the table holds', () => {
    expect(intervalMs(NOW - H, NOW, 'raw')).toBe(15_000);
    expect(intervalMs(NOW - H, NOW, '1m')).toBe(60_000);
    expect(intervalMs(NOW - 30 * 24 * H, NOW, '1h')).toBe(3 * H);
  });
});

describe('SQL builders', () => {
  it('read the day tier for the Regions and Links tables over 30 and 90 days (the range rule decides)', () => {
    for (const days of [30, 90]) {
      const res = resolutionForRange(NOW - days * 24 * H, NOW, NOW);
      expect(res).toBe('1d');
      expect(regionSummarySql(res)).toContain('FROM gpu_1d WHERE $__timeFilter(ts)');
      expect(hostSummarySql(res, 'eu-west')).toContain('FROM gpu_1d WHERE $__timeFilter(ts)');
      expect(linkSummarySql(res)).toContain('FROM link_1d WHERE $__timeFilter(ts)');
      expect(gpuTableSql(res)).toContain('FROM gpu_1d WHERE $__timeFilter(ts)');
    }
  });
  it('read rollup columns through the catalog helpers', () => {
    const util = rollupColumns(GPU.util).find((c) => c.agg === 'avg')!;
    expect(readExpr(GPU.util, 'avg', '1m')).toBe(`avgMerge(${util.column})`);
    expect(readExpr(GPU.util, 'avg', 'raw')).toBe(`avg(${GPU.util.name})`);
    expect(regionSummarySql('1h')).toContain('FROM gpu_1h WHERE $__timeFilter(ts)');
    expect(regionSummarySql('raw')).toContain('sum(xid_count_inc) AS xid_errors');
    expect(regionSummarySql('1m')).toContain('sum(xid_count_inc) AS xid_errors');
  });
  it('use the ClickHouse macros for ranges, buckets and rates', () => {
    expect(gpuSeriesSql(GPU.temp, '1m', { region: 'eu-west' })).toBe(
      "SELECT $__timeInterval(ts) AS time, avgMerge(temp_gpu_avg) AS temp_gpu FROM gpu_1m WHERE $__timeFilter(ts) AND mig_instance = '' AND region = 'eu-west' GROUP BY time ORDER BY time",
    );
    expect(gpuSeriesSql(GPU.xid, 'raw')).toContain('sum(inc) / $__interval_s AS xid_count_per_s');
    expect(linkHistorySql('raw', 'a->b', LINK_SERIES)).toContain("link_id = 'a->b'");
    expect(linkSummarySql('raw')).toContain("region_to != ''");
    expect(hostSummarySql('raw', 'eu-west')).toContain("region = 'eu-west'");
    expect(gpuTableSql('raw', { host: 'h1' })).toContain("host = 'h1'");
  });
  it('refuse values that could escape a string literal', () => {
    expect(literal('region', 'eu-west')).toBe("'eu-west'");
    expect(() => literal('region', "x' OR 1=1 --")).toThrow('region: "x\' OR 1=1 --" is not a valid label value');
    expect(() => literal('host', 'a\\b')).toThrow('host:');
    expect(() => recentDecisionsSql(0)).toThrow('limit: 0');
  });
});

describe('throttle reasons', () => {
  it('names NVML reason bits and shows unknown ones in hex', () => {
    expect(throttleReasonNames(0)).toEqual([]);
    expect(throttleReasonNames(0x4 | 0x40)).toEqual(['SW power cap', 'HW thermal slowdown']);
    expect(throttleReasonNames(0x1000 | 0x1)).toEqual(['GPU idle', '0x1000']);
  });
  it('reads the rollup bitmask column from the catalog', () => {
    expect(throttleReasonsSql('1m', { host: 'h' })).toBe(
      "SELECT groupBitOr(throttle_reasons_any) AS reasons FROM gpu_1m WHERE $__timeFilter(ts) AND mig_instance = '' AND host = 'h'",
    );
  });
});

describe('health', () => {
  it('puts the fiber floor at 2 × (0.004897 ms per route km + the one-way equipment delay)', () => {
    expect(fiberFloorMs(2000)).toBeCloseTo(19.588, 6);
    expect(fiberFloorMs(6500, 0.6)).toBeCloseTo(2 * (31.8305 + 0.6), 6);
    expect(fiberFloorMs(0)).toBeNull();
  });
  it('grades links by loss and excess over the floor', () => {
    expect(linkHealth({ rtt: 20, loss: 0, jitter: 0.1, floor: 19.6 })).toBe('ok');
    expect(linkHealth({ rtt: 25, loss: 0, jitter: 0.1, floor: 19.6 })).toBe('warn');
    expect(linkHealth({ rtt: 20, loss: 1.2, jitter: 0.1, floor: 19.6 })).toBe('critical');
    expect(linkHealth({ rtt: null, loss: null, jitter: null, floor: 19.6 })).toBe('unknown');
  });
  it('grades regions by heat, throttling and errors', () => {
    expect(regionHealth({ util: 50, temp_max: 70, throttled: 0, xid_errors: 0, ecc_dbe: 0 })).toBe('ok');
    expect(regionHealth({ util: 50, temp_max: 70, throttled: 0, xid_errors: 2, ecc_dbe: 0 })).toBe('warn');
    expect(regionHealth({ util: 50, temp_max: 70, throttled: 0, xid_errors: 0, ecc_dbe: 1 })).toBe('critical');
  });
});

describe('GPU table model', () => {
  const rows = [
    toGpuRow({ region: 'r', host: 'h', gpu_uuid: 'G2', mig_instance: '', util: 10 }),
    toGpuRow({ region: 'r', host: 'h', gpu_uuid: 'G1', mig_instance: '2/0', util: 20, mig_profile: '3g.40gb' }),
    toGpuRow({ region: 'r', host: 'h', gpu_uuid: 'G1', mig_instance: '1/0', util: 30, mig_profile: '3g.40gb' }),
    toGpuRow({ region: 'r', host: 'h', gpu_uuid: 'G3', mig_instance: '', util: null }),
  ];
  it('nests MIG instances under their parent, making one for a MIG-only GPU', () => {
    const nested = nestMig(rows);
    const g1 = nested.find((g) => g.gpu_uuid === 'G1')!;
    expect(g1.mig.map((m) => m.mig_instance)).toEqual(['1/0', '2/0']);
    expect(g1.util).toBeNull();
    expect(nested).toHaveLength(3);
  });
  it('keeps two GPUs that share a UUID on different hosts apart', () => {
    const twins = nestMig([
      toGpuRow({ region: 'r', host: 'h1', gpu_uuid: 'G', mig_instance: '' }),
      toGpuRow({ region: 'r', host: 'h2', gpu_uuid: 'G', mig_instance: '' }),
    ]);
    expect(twins.map((g) => g.host)).toEqual(['h1', 'h2']);
  });
  it('sorts missing figures last both ways and filters by MIG profile', () => {
    const nested = nestMig(rows);
    // G3 and the made-up parent of G1 have no figure of their own: last, in their original order.
    expect(sortGpus(nested, 'util', 'desc').map((g) => g.gpu_uuid)).toEqual(['G2', 'G3', 'G1']);
    expect(sortGpus(nested, 'util', 'asc').map((g) => g.gpu_uuid)).toEqual(['G2', 'G3', 'G1']);
    expect(filterGpus(nested, '3G.40').map((g) => g.gpu_uuid)).toEqual(['G1']);
  });
});
