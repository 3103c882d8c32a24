/**
 * R470+ MIG device ids (`MIG-<uuid>`, as the kubelet reports `nvidia.com/mig-*` devices) resolve to
 * the parent GPU and "GI/CI" the MIG samples carry: `nvidia-smi -L` (a recorded capture of two
 * A100-SXM4-80GB with two 1g.10gb devices each) gives UUID → (parent, device index); `-q -x` gives
 * (parent, index) → GI/CI. The attribution source reads both from nvidia-smi when the kubelet hands
 * out a MIG UUID it does not know, and the rows it writes carry the keys of the MIG samples.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributionSource,
  assignmentsFromList,
  migDirectoryOf,
  migInstancesFromXml,
  parseMigList,
  parseOutput,
  type ListPodResourcesResponse,
} from '@meridian/collector';
import type { GpuAssignmentRow } from '@meridian/store';
import { recorder } from '../sources/helpers.js';
import { startFakeKubelet, type FakeKubelet } from './kubelet-server.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/gpu');
const LIST = readFileSync(join(FIXTURES, 'yandex-docs-2x-a100-80gb-mig-nvidia-smi-L.txt'), 'utf8');
const GPU0 = 'GPU-9c73eb7b-8d6d-6c0e-dc13-97873e2ede40';
const GPU1 = 'GPU-c92e2d5d-4a69-f1cd-4df0-305f8606705a';
const MIG_1_0 = 'MIG-d5a46a2e-1d77-575d-99e3-1f96c8555a2e';
const MIG_1_1 = 'MIG-b8479d6e-d08f-5a92-9a24-0946db72b2a0';

/**
 * The `-q -x` half for the captured host, built here (the page that published the -L capture shows
 * no XML): each GPU's two instances as GI 13 and 11 (the GPU instance ids the page created), CI 0,
 * in the v12 schema of test/fixtures/gpu/telegraf-a100-sxm4-80gb-mig-v12-q.xml.
 */
function xmlFor(gpus: readonly string[]): string {
  const mig = (index: number, gi: number) =>
    `<mig_device><index>${index}</index><gpu_instance_id>${gi}</gpu_instance_id>` +
    `<compute_instance_id>0</compute_instance_id></mig_device>`;
  return (
    `<?xml version="1.0" ?><nvidia_smi_log><driver_version>535.54.03</driver_version>` +
    gpus
      .map(
        (uuid, i) =>
          `<gpu id="00000000:8${String.fromCharCode(0x62 + i)}:00.0"><product_name>NVIDIA A100-SXM4-80GB</product_name>` +
          `<uuid>${uuid}</uuid><minor_number>${i}</minor_number>` +
          `<mig_mode><current_mig>Enabled</current_mig><pending_mig>Enabled</pending_mig></mig_mode>` +
          `<mig_devices>${mig(0, 13)}${mig(1, 11)}</mig_devices></gpu>`,
      )
      .join('') +
    `</nvidia_smi_log>`
  );
}

/** The keys (parent UUID, mig_instance) the inventory's MIG sample rows carry, read by the product's parser. */
function sampleKeys(xml: string): string[] {
  return parseOutput('nvidia-smi-xml', xml)
    .records.filter((r) => r.labels.mig_instance !== undefined)
    .map((r) => `${String(r.labels.gpu_uuid)}|${String(r.labels.mig_instance)}`);
}

describe('nvidia-smi -L', () => {
  it('lists each MIG device under its parent GPU, with its device index', () => {
    const { entries, problems } = parseMigList(LIST);
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.gpu_uuid, e.device, e.profile, e.mig_uuid])).toEqual([
      [GPU0, 0, '1g.10gb', 'MIG-a686709d-6dc2-542a-8851-0d2508448c10'],
      [GPU0, 1, '1g.10gb', 'MIG-53864714-0a66-5df2-9007-9268e30d9a72'],
      [GPU1, 0, '1g.10gb', MIG_1_0],
      [GPU1, 1, '1g.10gb', MIG_1_1],
    ]);
  });

  it('names the line of anything it cannot read, and still reads the rest', () => {
    const { entries, problems } = parseMigList(
      `  MIG 1g.10gb     Device  0: (UUID: MIG-a686709d-6dc2-542a-8851-0d2508448c10)\n${LIST}No devices were found\n`,
    );
    expect(entries).toHaveLength(4);
    expect(problems).toEqual([
      'nvidia-smi -L line 1: a MIG device before any GPU line',
      'nvidia-smi -L line 8: neither a GPU nor a MIG line: "No devices were found"',
    ]);
  });
});

describe('MIG UUIDs join to the MIG samples', () => {
  it("reads -q -x's instances as the inventory parser does (the real A100 MIG capture)", () => {
    const xml = readFileSync(join(FIXTURES, 'telegraf-a100-sxm4-80gb-mig-v12-q.xml'), 'utf8');
    const instances = migInstancesFromXml(xml);
    expect([...instances.values()]).toEqual(['3/0', '4/0', '5/0', '6/0']);
    expect([...instances].map(([k, v]) => `${k.split('|')[0]!}|${v}`)).toEqual(sampleKeys(xml));
  });

  it("a pod's MIG UUIDs resolve to the keys of the MIG samples", () => {
    const xml = xmlFor([GPU0, GPU1]);
    const migs = migDirectoryOf(parseMigList(LIST).entries, migInstancesFromXml(xml));
    const list: ListPodResourcesResponse = {
      pod_resources: [
        {
          name: 'triton-7d9f8b6c5d-x2x4q',
          namespace: 'serving',
          containers: [
            { name: 'server', devices: [{ resource_name: 'nvidia.com/mig-1g.10gb', device_ids: [MIG_1_0, MIG_1_1] }] },
          ],
        },
      ],
    };
    const { assignments } = assignmentsFromList(list, migs);
    const keys = assignments.map((a) => `${a.device.gpu_uuid}|${a.device.mig_instance}`);
    expect(keys).toEqual([`${GPU1}|13/0`, `${GPU1}|11/0`]);
    for (const k of keys) expect(sampleKeys(xml)).toContain(k);
    expect(assignments.map((a) => a.device.device_id)).toEqual([MIG_1_0, MIG_1_1]);
  });
});

describe('the attribution source reads the MIG layout from nvidia-smi when it meets a new MIG UUID', () => {
  const root = mkdtempSync(join(tmpdir(), 'meridian-attrib-mig-'));
  const socket = join(root, 'kubelet.sock');
  let kubelet: FakeKubelet;
  const podWith = (ids: string[]): ListPodResourcesResponse => ({
    pod_resources: [
      {
        name: 'triton-7d9f8b6c5d-x2x4q',
        namespace: 'serving',
        containers: [{ name: 'server', devices: [{ resource_name: 'nvidia.com/mig-1g.10gb', device_ids: ids }] }],
      },
    ],
  });

  /** Starts the source on the kubelet with `command` in `root` as nvidia-smi, runs `then`, stops it. */
  const runSource = async (
    command: string,
    then: (source: AttributionSource) => Promise<void> = async () => {},
  ): Promise<ReturnType<typeof recorder>> => {
    const rec = recorder();
    const source = new AttributionSource({
      mode: 'kubernetes',
      socket,
      intervalMs: 3_600_000,
      command: join(root, command),
    });
    try {
      await source.start(rec.ctx);
      await then(source);
    } finally {
      await source.stop();
    }
    return rec;
  };

  beforeAll(async () => {
    kubelet = await startFakeKubelet(socket);
    writeFileSync(join(root, 'list.txt'), LIST);
    writeFileSync(join(root, 'q.xml'), xmlFor([GPU0, GPU1]));
    // nvidia-smi as far as this needs: -L and -q -x answer the recorded host; each call is counted.
    writeFileSync(
      join(root, 'nvidia-smi'),
      `#!/bin/sh\necho "$*" >> '${root}/calls'\ncase "$1" in -L) cat '${root}/list.txt';; -q) cat '${root}/q.xml';; *) exit 2;; esac\n`,
    );
    chmodSync(join(root, 'nvidia-smi'), 0o755);
  });
  afterAll(async () => {
    await kubelet?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the MIG instances the samples name, and reads nvidia-smi once for a known layout', async () => {
    kubelet.list = podWith([MIG_1_0]);
    const rec = await runSource('nvidia-smi', async (source) => {
      kubelet.list = podWith([MIG_1_0, MIG_1_1]);
      await source.refreshNow();
    });
    const rows = rec.rows.gpu_assignments as GpuAssignmentRow[];
    expect(new Set(rows.map((r) => `${r.gpu_uuid}|${r.mig_instance}|${r.device_id}`))).toEqual(
      new Set([`${GPU1}|13/0|${MIG_1_0}`, `${GPU1}|11/0|${MIG_1_1}`]),
    );
    // Both UUIDs were known after the first read: nvidia-smi ran once per command.
    expect(readFileSync(join(root, 'calls'), 'utf8').trim().split('\n').sort()).toEqual(['-L', '-q -x']);
    expect(rec.ctx.errors.total()).toBe(0);
  });

  it('without nvidia-smi: counted and logged, the id kept as the kubelet gave it', async () => {
    kubelet.list = podWith([MIG_1_0]);
    const rec = await runSource('absent-nvidia-smi');
    expect(rec.ctx.errors.get('attribution', 'mig_inventory', 'malformed')).toBe(1);
    expect(rec.logs.join('\n')).toContain('MIG devices: nvidia-smi -L: cannot run');
    const rows = rec.rows.gpu_assignments as GpuAssignmentRow[];
    expect(rows[0]).toMatchObject({ gpu_uuid: MIG_1_0, mig_instance: '', device_id: MIG_1_0 });
  });
});
