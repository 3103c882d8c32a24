/**
 * The streaming nvidia-smi source against the SIMULATED nvidia-smi in test/fake-nvidia-smi (this
 * machine has no GPU). The fake replays the real L40S capture at the -lms interval it is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NvidiaSmiSource } from '../../src/sources/nvidia-smi/source.js';
import type { SourceContext } from '../../src/sources/source.js';
import { REPO_ROOT } from '../fixtures-helpers.js';
import { recorder, until } from './helpers.js';

const FAKE = join(REPO_ROOT, 'test', 'fake-nvidia-smi', 'nvidia-smi');
const MiB = 1024 * 1024;
let source: NvidiaSmiSource | undefined;

afterEach(async () => {
  await source?.stop();
  source = undefined;
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'meridian-fake-smi-'));
}

function starts(log: string): { stream: number; xml: number } {
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  return {
    stream: lines.filter((l) => l.includes('--query-gpu=')).length,
    xml: lines.filter((l) => l.includes('-q -x')).length,
  };
}

describe('nvidia-smi source (simulated nvidia-smi)', () => {
  it('streams one line per GPU per interval from ONE process', async () => {
    const log = join(tmp(), 'starts.log');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 100,
      env: { FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_LOG: log },
    });
    await source.start(rec.ctx);
    await until(() => rec.gpu().filter((r) => r.power_draw !== undefined).length >= 10, '10 streamed samples');
    const streamed = rec.gpu().filter((r) => r.power_draw !== undefined);
    const g0 = streamed.find((r) => r.gpu_index === 0)!;
    const g1 = streamed.find((r) => r.gpu_index === 1)!;
    expect(g0).toMatchObject({
      source: 'nvidia-smi',
      region: 'eu-west',
      host: 'gpu-host-1',
      gpu_uuid: 'GPU-5e1f0000-0000-4000-8000-000000000000',
      model: 'NVIDIA L40S',
      power_draw: 110.23, // the capture's load value
      memory_used: 1235 * MiB,
      util_encoder: 60,
      clock_sm: 2520,
      throttle_reasons: 0,
    });
    expect(g1.power_draw).toBe(111.23);
    expect(g0).not.toHaveProperty('temp_memory'); // "N/A" in the capture
    expect(starts(log)).toEqual({ stream: 1, xml: 0 }); // no process per sample (-q -x is the inventory source's)
    expect(rec.ctx.errors.total()).toBe(0);
    expect(rec.unavailable).toEqual([]);
  });

  it("holds what it reads for the pipeline's flush, each burst stamped when it was read", async () => {
    const rec = recorder();
    let drain: (() => void) | undefined;
    const ctx: SourceContext = {
      ...rec.ctx,
      beforeCut: (d) => {
        drain = d;
        return () => (drain = undefined);
      },
    };
    source = new NvidiaSmiSource({ path: FAKE, intervalMs: 100, env: { FAKE_NVIDIA_SMI_GPUS: '2' } });
    await source.start(ctx);
    // The first sample is parsed at once (it ends the start-up grace); later reads wait for the flush.
    await until(() => rec.gpu().length >= 2, 'the first sample');
    await until(() => source!.heldReads() >= 3, 'three reads held');
    const early = rec.gpu().length;
    expect(early).toBe(2);
    const held = source.heldReads();
    const cutAt = Date.now();
    drain!();
    const rows = rec.gpu().slice(early);
    expect(source.heldReads()).toBe(0);
    // One row per GPU per burst, each burst with the time it was read, in order, an interval apart.
    const bursts = [...new Set(rows.map((r) => r.ts))];
    expect(bursts).toHaveLength(held);
    expect(rows).toHaveLength(2 * held);
    for (const ts of bursts) expect(rows.filter((r) => r.ts === ts).map((r) => r.gpu_index)).toEqual([0, 1]);
    const gaps = bursts.slice(1).map((ts, i) => ts - (bursts[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
    expect(bursts.at(-1)).toBeLessThanOrEqual(cutAt);
    expect(rows[0]).toMatchObject({ power_draw: 110.23, region: 'eu-west', host: 'gpu-host-1' });

    // What is held when the source stops is handed over, and the drain is removed.
    await until(() => source!.heldReads() >= 1, 'a read held');
    const before = rec.gpu().length;
    await source.stop();
    expect(rec.gpu().length).toBeGreaterThan(before);
    expect(drain).toBeUndefined();
  });

  it("hands over a dead stream's held lines before it restarts", async () => {
    const dir = tmp();
    const rec = recorder();
    const ctx: SourceContext = { ...rec.ctx, beforeCut: () => () => {} }; // a pipeline that never cuts
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      backoff: { initialMs: 100, jitter: 0 },
      env: { FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_DIE_AFTER: '3', FAKE_NVIDIA_SMI_MARKER: join(dir, 'died') },
    });
    await source.start(ctx);
    await until(() => source!.stats.restarts === 1, 'a restart');
    // All three bursts of the first child, though nothing asked for them.
    expect(new Set(rec.gpu().map((r) => r.ts)).size).toBeGreaterThanOrEqual(3);
  });

  it('restarts the stream with backoff when nvidia-smi dies', async () => {
    const dir = tmp();
    const log = join(dir, 'starts.log');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      backoff: { initialMs: 100, jitter: 0 },
      env: {
        FAKE_NVIDIA_SMI_DIE_AFTER: '3',
        FAKE_NVIDIA_SMI_MARKER: join(dir, 'died'),
        FAKE_NVIDIA_SMI_LOG: log,
      },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.restarts === 1 && source!.stats.samples >= 8, 'a restart and 8 samples');
    expect(rec.ctx.errors.get('nvidia-smi', 'process', 'process_exit')).toBe(1);
    expect(starts(log).stream).toBe(2);
    expect(source.state()).toBe('running');
  });

  it('kills and restarts a stream that stalls', async () => {
    const dir = tmp();
    const log = join(dir, 'starts.log');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      stallMs: 300,
      startupMs: 5000,
      backoff: { initialMs: 50, jitter: 0 },
      env: { FAKE_NVIDIA_SMI_STALL_AFTER: '2', FAKE_NVIDIA_SMI_MARKER: join(dir, 'stalled'), FAKE_NVIDIA_SMI_LOG: log },
    });
    await source.start(rec.ctx);
    // The fake stalls once (marker); a second "stall" could only be this machine's load, so >= 1.
    await until(() => source!.stats.stalls >= 1 && source!.stats.restarts >= 1, 'a stall and a restart');
    await until(() => source!.stats.samples >= 6, 'samples from the restarted stream'); // 2 before the stall
    expect(rec.ctx.errors.get('nvidia-smi', 'process', 'stall')).toBeGreaterThanOrEqual(1);
    expect(starts(log).stream).toBeGreaterThanOrEqual(2);
  });

  it('a garbled value costs that field of that sample, counted', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      env: { FAKE_NVIDIA_SMI_GARBLE_LINE: '3' },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.samples >= 5, '5 samples');
    const streamed = rec.gpu().filter((r) => r.clock_sm !== undefined);
    expect(streamed[2]).not.toHaveProperty('power_draw');
    expect(streamed[2]!.temp_gpu).toBe(54);
    expect(streamed[3]!.power_draw).toBe(110.23);
    expect(rec.ctx.errors.get('nvidia-smi', 'power_draw', 'unparseable')).toBe(1);
    for (const r of rec.gpu())
      for (const v of Object.values(r)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });

  it('a line with the wrong column count is dropped and counted', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      env: { FAKE_NVIDIA_SMI_GARBLE_LINE: '2', FAKE_NVIDIA_SMI_GARBLE_MODE: 'cut' },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.lines >= 4, '4 lines');
    expect(rec.ctx.errors.get('nvidia-smi', 'line', 'column_count')).toBe(1);
    expect(source.stats.samples).toBe(source.stats.lines - 1);
  });

  it('swaps a field an older driver rejects for its alias, and drops one without an alias', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      env: { FAKE_NVIDIA_SMI_UNKNOWN: 'clocks_event_reasons.active,temperature.memory' },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.samples >= 3, '3 samples after the field list settled');
    expect(rec.ctx.errors.get('nvidia-smi', 'clocks_event_reasons.active', 'unsupported_field')).toBe(1);
    expect(rec.ctx.errors.get('nvidia-smi', 'temperature.memory', 'unsupported_field')).toBe(1);
    expect(rec.ctx.errors.get('nvidia-smi', 'process', 'process_exit')).toBe(0);
    // clocks_throttle_reasons.active (the old name) still feeds throttle_reasons.
    expect(rec.gpu().at(-1)).toMatchObject({ throttle_reasons: 0, power_draw: 110.23 });
  });

  it('reports once that it is unavailable where nvidia-smi is missing', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({ path: '/nonexistent/nvidia-smi', intervalMs: 50 });
    await source.start(rec.ctx);
    await until(() => source!.state() === 'unavailable', 'the missing binary to be noticed');
    expect(rec.unavailable).toEqual(['nvidia-smi: /nonexistent/nvidia-smi: ENOENT']);
    expect(source.state()).toBe('unavailable');
    expect(rec.gpu()).toEqual([]);
  });

  it('reports unavailable where nvidia-smi finds no GPU', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      env: { FAKE_NVIDIA_SMI_NO_DEVICES: '1' },
    });
    await source.start(rec.ctx);
    await until(() => rec.unavailable.length > 0, 'the no-GPU report');
    expect(rec.unavailable).toEqual(['nvidia-smi: No devices were found']);
    expect(source.state()).toBe('unavailable');
  });
});
