/**
 * The `nvidia-smi -q -x` inventory source against the SIMULATED nvidia-smi in test/fake-nvidia-smi
 * (this machine has no GPU), which prints the real v13 capture, or a file the test gives it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuDirectory } from '../../src/sources/gpu-directory.js';
import { NvidiaSmiInventorySource } from '../../src/sources/inventory/source.js';
import { REPO_ROOT } from '../fixtures-helpers.js';
import { recorder, until } from './helpers.js';

const FAKE = join(REPO_ROOT, 'test', 'fake-nvidia-smi', 'nvidia-smi');
const MiB = 1024 * 1024;
let source: NvidiaSmiInventorySource | undefined;

afterEach(async () => {
  await source?.stop();
  source = undefined;
});

describe('nvidia-smi inventory source (simulated nvidia-smi)', () => {
  it('reads -q -x at start: inventory rows, XML-only metrics, and the GPUs by PCI address', async () => {
    const rec = recorder();
    const gpus = new GpuDirectory();
    source = new NvidiaSmiInventorySource({ path: FAKE, intervalMs: 0, gpus });
    await source.start(rec.ctx);
    expect(source.stats.reads).toBe(1);
    expect(rec.inventory().map((i) => i.serial)).toEqual(['1234567890123', '0123456789012']);
    expect(rec.inventory()[0]).toMatchObject({
      source: 'nvidia-smi',
      region: 'eu-west',
      host: 'gpu-host-1',
      driver_version: '590.44.01',
    });
    const xml = rec.gpu().find((r) => r.bar1_total !== undefined)!;
    expect(xml.bar1_total).toBe(256 * MiB);
    expect(xml).not.toHaveProperty('power_draw'); // the stream owns that metric
    expect(rec.ctx.errors.total()).toBe(0);
    expect(gpus.loaded).toBe(true);
    expect(gpus.at('0:81:00')?.gpu_uuid).toBe('GPU-12345678-aaaa-bbbb-cccc-0123456789ab');
  });

  it('folds `nvidia-smi nvlink -e` into the same read: one row per GPU with its NVLink counters summed over links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-nvlink-'));
    // The real output's format (test/fixtures/gpu/nvidia-smi-nvlink-e-*.txt), for the capture's first GPU.
    const file = join(dir, 'nvlink.txt');
    writeFileSync(
      file,
      [
        'GPU 0: NVIDIA RTX A5000 (UUID: GPU-12345678-aaaa-bbbb-cccc-0123456789ab)',
        '\t Link 0: Replay Errors: 2',
        '\t Link 0: Recovery Errors: 0',
        '\t Link 0: CRC Errors: 5',
        '',
        '\t Link 1: Replay Errors: 1',
        '\t Link 1: Recovery Errors: 1',
        '\t Link 1: CRC Errors: 0',
        '',
      ].join('\n'),
    );
    const rec = recorder();
    source = new NvidiaSmiInventorySource({ path: FAKE, intervalMs: 0, env: { FAKE_NVIDIA_SMI_NVLINK: file } });
    await source.start(rec.ctx);
    const rows = rec.gpu().filter((r) => r.gpu_uuid === 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab' && !r.mig_instance);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ nvlink_replay_errors: 3, nvlink_recovery_errors: 1, nvlink_crc_flit_errors: 5 });
    expect(rows[0]!.bar1_total).toBe(256 * MiB); // the XML's metrics are in the same row
    expect(rec.extra().filter((x) => x.labels['gpu_uuid'] === rows[0]!.gpu_uuid).length).toBeGreaterThan(0);
    expect(rec.ctx.errors.total()).toBe(0);
  });

  it('asks `nvlink -e` no more once nvidia-smi refused it, and says so once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-nvlink-'));
    const log = join(dir, 'smi.log');
    const rec = recorder();
    // A file that does not exist: the simulated nvidia-smi fails the subcommand (exit 1).
    source = new NvidiaSmiInventorySource({
      path: FAKE,
      intervalMs: 0,
      env: { FAKE_NVIDIA_SMI_NVLINK: join(dir, 'absent'), FAKE_NVIDIA_SMI_LOG: log },
    });
    await source.start(rec.ctx);
    await source.readInventory();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(log, 'utf8').match(/ nvlink -e$/gm)).toHaveLength(1);
    expect(rec.unavailable.filter((u) => u.includes('(nvlink)'))).toHaveLength(1);
    expect(rec.unavailable.join('\n')).toMatch(/nvidia-smi nvlink -e: /);
    expect(rec.inventory().length).toBeGreaterThan(0); // the inventory itself goes on
  });

  it('reports once that it is unavailable where nvidia-smi is missing, and stops', async () => {
    const rec = recorder();
    source = new NvidiaSmiInventorySource({ path: '/nonexistent/nvidia-smi', intervalMs: 50 });
    await source.start(rec.ctx);
    expect(rec.unavailable).toEqual(['nvidia-smi-inventory: /nonexistent/nvidia-smi: ENOENT']);
    expect(source.state()).toBe('unavailable');
  });

  it.each([
    [
      'an external entity',
      '<?xml version="1.0"?>\n<!DOCTYPE nvidia_smi_log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<nvidia_smi_log><driver_version>&x;</driver_version></nvidia_smi_log>',
    ],
    ['nesting 200,000 deep', `<nvidia_smi_log>${'<a>'.repeat(200_000)}`],
    ['an empty document', ''],
  ])('odd -q -x output (%s) on every periodic read is counted, never thrown', async (_what, xml) => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-fake-smi-'));
    writeFileSync(join(dir, 'odd.xml'), xml);
    const rec = recorder();
    source = new NvidiaSmiInventorySource({
      path: FAKE,
      intervalMs: 50,
      env: { FAKE_NVIDIA_SMI_XML: join(dir, 'odd.xml') },
    });
    await source.start(rec.ctx);
    await until(() => source!.stats.reads >= 3, '3 inventory reads');
    expect(rec.ctx.errors.get('nvidia-smi-xml', 'document', 'malformed')).toBeGreaterThanOrEqual(3);
    expect(rec.inventory()).toEqual([]);
    expect(source.state()).toBe('running');
  });

  it('a periodic read that throws is caught, counted as task_failed and logged with a bounded message', async () => {
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
    source = new NvidiaSmiInventorySource({ path: FAKE, intervalMs: 50 });
    await source.start(ctx);
    await until(
      () => rec.ctx.errors.get('nvidia-smi-inventory', 'inventory', 'task_failed') >= 2,
      'two failed inventory reads',
    );
    const logged = rec.logs.find((l) => l.includes('inventory failed'))!;
    expect(logged).toMatch(
      /^meridian collector: nvidia-smi-inventory: inventory failed: pipeline closed x+… \(\d+ more characters\)$/,
    );
    expect(logged.length).toBeLessThan(400);
    fail = false;
    await until(() => rec.inventory().length > 0, 'an inventory read that succeeds');
  });
});
