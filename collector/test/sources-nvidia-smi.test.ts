/**
 * The streaming nvidia-smi source against the SIMULATED nvidia-smi in test/fake-nvidia-smi (this
 * machine has no GPU). The fake replays the real L40S capture at the -lms interval it is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { NvidiaSmiSource } from '../src/sources/nvidia-smi.js';
import { REPO_ROOT } from './fixtures-helpers.js';
import { recorder, until } from './sources-helpers.js';

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
  it('streams one line per GPU per interval from ONE process, plus inventory from -q -x', async () => {
    const log = join(tmp(), 'starts.log');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 100,
      inventoryIntervalMs: 0,
      kernelLog: '',
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
    expect(starts(log)).toEqual({ stream: 1, xml: 1 }); // no process per sample
    // Inventory and XML-only metrics from the v13 capture the fake prints for -q -x.
    expect(rec.inventory().map((i) => i.serial)).toEqual(['1234567890123', '0123456789012']);
    expect(rec.inventory()[0]).toMatchObject({ region: 'eu-west', host: 'gpu-host-1', driver_version: '590.44.01' });
    const xml = rec.gpu().find((r) => r.bar1_total !== undefined)!;
    expect(xml.bar1_total).toBe(256 * MiB);
    expect(xml).not.toHaveProperty('power_draw'); // the stream owns that metric
    expect(rec.ctx.errors.total()).toBe(0);
    expect(rec.unavailable).toEqual([]);
  });

  it('restarts the stream with backoff when nvidia-smi dies', async () => {
    const dir = tmp();
    const log = join(dir, 'starts.log');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      inventoryIntervalMs: 0,
      kernelLog: '',
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
      inventoryIntervalMs: 0,
      kernelLog: '',
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
      inventoryIntervalMs: 0,
      kernelLog: '',
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
      inventoryIntervalMs: 0,
      kernelLog: '',
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
      inventoryIntervalMs: 0,
      kernelLog: '',
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
    source = new NvidiaSmiSource({ path: '/nonexistent/nvidia-smi', intervalMs: 50, kernelLog: '' });
    await source.start(rec.ctx);
    await source.readInventory();
    expect(rec.unavailable).toEqual(['nvidia-smi: /nonexistent/nvidia-smi: ENOENT']);
    expect(source.state()).toBe('unavailable');
    expect(rec.gpu()).toEqual([]);
  });

  it('reports unavailable where nvidia-smi finds no GPU', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 50,
      kernelLog: '',
      env: { FAKE_NVIDIA_SMI_NO_DEVICES: '1' },
    });
    await source.start(rec.ctx);
    expect(rec.unavailable).toEqual(['nvidia-smi: No devices were found']);
    expect(source.state()).toBe('unavailable');
  });

  it('follows the kernel log for XIDs: history sets xid_last, new ones are counted per GPU', async () => {
    const dir = tmp();
    const kmsg = join(dir, 'kmsg');
    // /dev/kmsg records: "prio,seq,usec since boot,flags;message". The first was logged at boot.
    writeFileSync(kmsg, '3,100,1000000,-;NVRM: Xid (PCI:0000:81:00): 13, pid=42, name=python, Graphics Exception\n');
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 1000,
      inventoryIntervalMs: 0,
      kernelLog: kmsg,
      xidPollMs: 60_000,
    });
    await source.start(rec.ctx);
    const xidRows = () => rec.gpu().filter((r) => r.xid_last !== undefined);
    // 81:00.0 is minor 1 in the v13 capture the simulated nvidia-smi prints for -q -x.
    expect(xidRows()).toEqual([
      expect.objectContaining({
        gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
        gpu_index: 1,
        xid_last: 13,
        xid_count: 0,
      }),
    ]);
    const now = Math.round((uptime() + 5) * 1e6);
    appendFileSync(
      kmsg,
      [
        `4,101,${now},-;NVRM: Xid (PCI:0000:81:00): 79, pid=42, name=python, GPU has fallen off the bus.`,
        ' SUBSYSTEM=pci',
        `4,102,${now + 10},-;NVRM: Xid (PCI:0000:c1:00): 48, pid=7, name=train, An uncorrectable double bit error`,
        `4,103,${now + 20},-;NVRM: Xid (PCI:0000:c1:00): 63, pid=7, name=train, Row remapping event`,
        `4,104,${now + 30},-;NVRM: Xid (PCI:0000:99:00): 31, pid=1, name=x, MMU Fault`,
        '',
      ].join('\n'),
    );
    await source.readXids();
    expect(xidRows().slice(1)).toEqual([
      expect.objectContaining({ gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab', xid_last: 79, xid_count: 1 }),
      expect.objectContaining({
        gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd',
        gpu_index: 0,
        xid_last: 63,
        xid_count: 2,
      }),
    ]);
    expect(rec.ctx.errors.get('nvidia-smi', 'xid_last', 'unattributed')).toBe(1); // 99:00 is no GPU of this host
    expect(source.stats.xids).toBe(3);
  });

  it('an unreadable kernel log turns XIDs off, reported once', async () => {
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 1000,
      inventoryIntervalMs: 0,
      kernelLog: '/nonexistent/kmsg',
    });
    await source.start(rec.ctx);
    expect(rec.unavailable).toEqual(['nvidia-smi (xid): /nonexistent/kmsg: ENOENT (XID events off)']);
    expect(source.state()).toBe('running');
  });
  it.each([
    ['an external entity', '<?xml version="1.0"?>\n<!DOCTYPE nvidia_smi_log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<nvidia_smi_log><driver_version>&x;</driver_version></nvidia_smi_log>'],
    ['nesting 200,000 deep', `<nvidia_smi_log>${'<a>'.repeat(200_000)}`],
    ['an empty document', ''],
  ])('odd -q -x output (%s) on every periodic read is counted, never thrown, and the stream goes on', async (_what, xml) => {
    const dir = tmp();
    writeFileSync(join(dir, 'odd.xml'), xml);
    const rec = recorder();
    source = new NvidiaSmiSource({
      path: FAKE,
      intervalMs: 100,
      inventoryIntervalMs: 50,
      kernelLog: '',
      env: { FAKE_NVIDIA_SMI_GPUS: '1', FAKE_NVIDIA_SMI_XML: join(dir, 'odd.xml') },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.inventoryReads >= 3 && source!.stats.samples >= 2, '3 inventory reads and 2 samples');
    expect(rec.ctx.errors.get('nvidia-smi-xml', 'document', 'malformed')).toBeGreaterThanOrEqual(3);
    expect(rec.inventory()).toEqual([]);
    expect(source.state()).toBe('running');
  });

  it('a periodic task that throws is caught, counted as task_failed and logged with a bounded message', async () => {
    const rec = recorder();
    let fail = true;
    const ctx = {
      ...rec.ctx,
      // What a closed pipeline does to a late push: it throws. Here, with an 8 MB message.
      emit: ((target, rows) => {
        if (fail && target === 'inventory') throw new Error(`pipeline closed ${'x'.repeat(8_000_000)}`);
        rec.ctx.emit(target, rows);
      }) as typeof rec.ctx.emit,
    };
    source = new NvidiaSmiSource({ path: FAKE, intervalMs: 100, inventoryIntervalMs: 50, kernelLog: '' });
    await source.start(ctx);
    await until(() => rec.ctx.errors.get('nvidia-smi', 'inventory', 'task_failed') >= 2, 'two failed inventory reads');
    const logged = rec.logs.find((l) => l.includes('inventory failed'))!;
    expect(logged).toMatch(/^meridian collector: nvidia-smi: inventory failed: pipeline closed x+… \(\d+ more characters\)$/);
    expect(logged.length).toBeLessThan(400);
    fail = false;
    await until(() => rec.inventory().length > 0, 'an inventory read that succeeds');
  });
});
