/**
 * Malformed and absurd inputs: each costs the field (or, where columns cannot be attributed, the
 * line), names it in an error, and never produces NaN or a crash.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseDcgm,
  parseEthtoolS,
  parseNvidiaSmiCsv,
  parseNvidiaSmiXml,
  parseProcNetDev,
  type ParsedRecord,
} from '../src/parsers/index.js';
import { COLLECTOR_QUERY_FIELDS, QUERY_ALIASES } from '../src/parsers/nvidia-smi-fields.js';
import { compileColumns, parseCsvLine } from '../src/parsers/nvidia-smi-csv.js';
import { readValue } from '../src/parsers/values.js';
import { parseXidLine, pciKey } from '../src/parsers/xid.js';
import { registerParseCommand, runParse } from '../src/parsers/command.js';
import { fixture, fixturePath, REPO_ROOT } from './fixtures-helpers.js';

const MiB = 1024 * 1024;
const fields = ['index', 'uuid', 'power.draw', 'memory.used', 'clocks_event_reasons.active', 'temperature.gpu'];
const cols = compileColumns(fields);

function line(cells: string[]): ParsedRecord {
  const r = parseCsvLine(cells.join(', '), cols);
  if (!r.ok) throw new Error(r.error.message);
  return r.record;
}

function errorFields(r: ParsedRecord): string[] {
  return r.errors.map((e) => e.field);
}

describe('values', () => {
  it.each([
    ['[N/A]'],
    ['N/A'],
    ['[Not Supported]'],
    ['[Unknown Error]'],
    ['[Requested functionality has been deprecated]'],
    ['Requested functionality has been deprecated'],
    ['[Insufficient Permissions]'],
    [''],
    ['  '],
  ])('%j is absent', (raw) => {
    expect(readValue(raw)).toEqual({ kind: 'absent' });
  });

  it('reads units, hex, pstates and values split over a newline', () => {
    expect(readValue('26.78 W')).toEqual({ kind: 'number', value: 26.78 });
    expect(readValue('16x')).toEqual({ kind: 'number', value: 16 });
    expect(readValue('-5 C')).toEqual({ kind: 'number', value: -5 });
    expect(readValue('6e-05')).toEqual({ kind: 'number', value: 6e-5 });
    expect(readValue('P8')).toEqual({ kind: 'number', value: 8 });
    expect(readValue('40\n            C')).toEqual({ kind: 'number', value: 40 });
    expect(readValue('0x00000000000001FF')).toEqual({ kind: 'bigint', value: 0x1ffn });
    expect(readValue('abc').kind).toBe('error');
    expect(readValue('NaN').kind).toBe('error');
    expect(readValue('Infinity').kind).toBe('error');
  });
});

describe('nvidia-smi CSV, bad cells', () => {
  it('keeps a -lms nounits line in order', () => {
    const r = line(['3', 'GPU-x', '250.5', '1024', '0x0000000000000004', '71']);
    expect(r.labels).toMatchObject({ gpu_index: 3, gpu_uuid: 'GPU-x' });
    expect(r.values).toEqual({
      power_draw: 250.5,
      memory_used: 1024 * MiB,
      throttle_reasons: 4,
      throttled: 1,
      temp_gpu: 71,
    });
  });

  it('non-numeric field: error on that field, the rest kept', () => {
    const r = line(['0', 'GPU-x', 'abc', '1024', '0x0', '71']);
    expect(errorFields(r)).toEqual(['power_draw']);
    expect(r.values).not.toHaveProperty('power_draw');
    expect(r.values.temp_gpu).toBe(71);
  });

  it('absurd values are refused by the catalog range: 1e30 W, negative memory', () => {
    const r = line(['0', 'GPU-x', '1e30', '-5', '0x0', '71']);
    expect(errorFields(r).sort()).toEqual(['memory_used', 'power_draw']);
    expect(r.errors.find((e) => e.field === 'power_draw')?.reason).toBe('out_of_range');
    expect(r.values).toEqual({ throttle_reasons: 0, throttled: 0, temp_gpu: 71 });
  });

  it('a bitmask beyond 2^53 is refused as inexact but still sets throttled', () => {
    const r = line(['0', 'GPU-x', '1', '1', '0x8000000000000004', '1']);
    expect(r.errors).toMatchObject([{ field: 'throttle_reasons', reason: 'inexact' }]);
    expect(r.values.throttled).toBe(1);
    expect(r.values).not.toHaveProperty('throttle_reasons');
  });

  it('empty cells and every absent token leave fields absent without errors', () => {
    const r = line(['0', 'GPU-x', '[Unknown Error]', '', '[Not Supported]', 'N/A']);
    expect(r.errors).toEqual([]);
    expect(r.values).toEqual({});
  });

  it('wrong column count drops the line and says so', () => {
    const r = parseCsvLine('0, GPU-x, 12.5', cols, 7);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ line: 7, reason: 'column_count' });
    const doc = parseNvidiaSmiCsv(`${fields.join(', ')}\n0, GPU-x, 1, 2, 0x0, 3\n0, GPU-x\n`);
    expect(doc.records).toHaveLength(1);
    expect(doc.errors).toMatchObject([{ line: 3, reason: 'column_count' }]);
  });

  it('headerless input defaults to the collector field list', () => {
    const cells = COLLECTOR_QUERY_FIELDS.map((f) =>
      f === 'index' ? '2' : f === 'uuid' ? 'GPU-y' : f === 'power.draw' ? '99.5' : '[N/A]',
    );
    const doc = parseNvidiaSmiCsv(`${cells.join(', ')}\n`);
    expect(doc.records[0]!.labels.gpu_index).toBe(2);
    expect(doc.records[0]!.values).toEqual({ power_draw: 99.5 });
  });

  it('every alias pair is nvidia-smi’s own (from --help-query-gpu in the 595.80 capture)', () => {
    const help = fixture('gpu/nvgpuexp-l40s-595.80-capture.txt');
    for (const [canonical, alias] of QUERY_ALIASES) expect(help).toContain(`"${canonical}" or "${alias}"`);
  });
});

describe('nvidia-smi XML, damaged', () => {
  const v13 = fixture('gpu/telegraf-2x-rtx-a5000-v13-q.xml');

  it('truncated in the second GPU: the whole first GPU survives, a document error is named', () => {
    const cut = v13.slice(0, v13.indexOf('<gpu id="00000000:C1:00.0">') + 2000);
    const r = parseNvidiaSmiXml(cut);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ field: 'document', reason: 'malformed' });
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.labels.gpu_uuid).toBe('GPU-12345678-aaaa-bbbb-cccc-0123456789ab');
    expect(r.records[0]!.values.power_draw).toBe(6.41);
  });

  describe('documents the XML parser refuses: one bounded document error, never a throw', () => {
    const doctype = (entity: string): string =>
      `<?xml version="1.0"?>\n<!DOCTYPE nvidia_smi_log [${entity}]>\n<nvidia_smi_log><driver_version>&x;</driver_version></nvidia_smi_log>`;
    const cases: [string, string, RegExp][] = [
      ['empty', '', /^nvidia-smi -q -x: empty document$/],
      ['only whitespace', '  \n\t\n', /^nvidia-smi -q -x: empty document$/],
      ['an external entity', doctype('<!ENTITY x SYSTEM "file:///etc/passwd">'), /External entities are not supported/],
      [
        'an entity over 10,000 characters',
        doctype(`<!ENTITY x "${'a'.repeat(20_000)}">`),
        /Entity "x" size \(20000\) exceeds/,
      ],
      [
        "nesting past the parser's depth limit",
        `<nvidia_smi_log><gpu>${'<a>'.repeat(150)}${'</a>'.repeat(150)}</gpu></nvidia_smi_log>`,
        /Maximum nested tags exceeded/,
      ],
      ['200,000 unclosed levels', `<nvidia_smi_log>${'<a>'.repeat(200_000)}`, /^malformed XML at line 1, column 1: /],
    ];
    it.each(cases)('%s', (_what, doc, message) => {
      let r: ReturnType<typeof parseNvidiaSmiXml> | undefined;
      expect(() => (r = parseNvidiaSmiXml(doc))).not.toThrow();
      expect(r!.records).toEqual([]);
      expect(r!.errors).toHaveLength(1);
      expect(r!.errors[0]).toMatchObject({ field: 'document', reason: 'malformed' });
      expect(r!.errors[0]!.message).toMatch(message);
      expect(r!.errors[0]!.message.length).toBeLessThan(400);
      expect(r!.errors[0]!.message).not.toContain('undefined');
    });
  });

  it('truncated before any GPU closed: no records, one error', () => {
    const r = parseNvidiaSmiXml(v13.slice(0, 3000));
    expect(r.records).toEqual([]);
    expect(r.errors[0]?.message).toMatch(/malformed XML at line/);
  });

  it('a broken tag in one GPU: named at its line in the original (past the skipped <supported_clocks>), the other GPU kept', () => {
    // Line 869 is the second GPU's product_name, after the first GPU's 540-line supported_clocks block.
    const lines = v13.split('\n');
    expect(lines[868]).toContain('<product_name>NVIDIA RTX A5000</product_name>');
    lines[868] = lines[868]!.replace('</product_name>', '</product_nam>');
    const r = parseNvidiaSmiXml(lines.join('\n'));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toMatch(/^malformed XML at line 869,/);
    // Only the garbled GPU is lost: the first one still parses whole.
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.labels.gpu_uuid).toBe('GPU-12345678-aaaa-bbbb-cccc-0123456789ab');
    expect(r.records[0]!.values.power_draw).toBe(6.41);
  });

  it('absurd and garbled values cost only their field', () => {
    const t4 = fixture('gpu/telegraf-tesla-t4-v11-q.xml')
      .replace('<power_draw>26.78 W</power_draw>', '<power_draw>1e30 W</power_draw>')
      .replace('<used>1032 MiB</used>', '<used>-1032 MiB</used>')
      .replace('<gpu_temp>40 C</gpu_temp>', '<gpu_temp>40\n                 C</gpu_temp>')
      .replace('<sm_clock>585 MHz</sm_clock>', '<sm_clock>fast</sm_clock>');
    const g = parseNvidiaSmiXml(t4).records[0]!;
    expect(errorFields(g).sort()).toEqual(['clock_sm', 'memory_used', 'power_draw']);
    expect(g.values.temp_gpu).toBe(40); // value spanning a newline
    expect(g.values.power_limit).toBe(70);
    for (const v of Object.values(g.values)) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('dcgm, damaged', () => {
  const uuid = 'UUID="GPU-1",gpu="0"';
  it('sentinels are absent, an out-of-range spike is an error, a garbled line costs one series', () => {
    const text = [
      `DCGM_FI_DEV_GPU_UTIL{${uuid}} 4294967295`,
      `DCGM_FI_DEV_MEMORY_TEMP{${uuid}} 9223372036854775794`,
      `DCGM_FI_DEV_POWER_USAGE{${uuid}} ERROR - FAILED TO CONVERT TO STRING`,
      `DCGM_FI_DEV_GPU_TEMP{${uuid}} 55`,
      `DCGM_FI_DEV_SM_CLOCK{${uuid}} NaN`,
      `DCGM_FI_DEV_FB_USED{${uuid} 12`,
    ].join('\n');
    const r = parseDcgm(text);
    const g = r.records[0]!;
    expect(g.values).toEqual({ temp_gpu: 55 });
    expect(errorFields(g).sort()).toEqual(['clock_sm', 'util_gpu']);
    expect(r.errors.map((e) => e.line)).toEqual([3, 6]);
    expect(r.errors[0]!.field).toBe('DCGM_FI_DEV_POWER_USAGE');
  });

  it('+Inf, -Inf and NaN are parse errors naming the metric (or the unmapped series), never silently gone', () => {
    const text = [
      `DCGM_FI_DEV_GPU_TEMP{${uuid}} +Inf`,
      `DCGM_FI_DEV_SM_CLOCK{${uuid}} -Inf`,
      `DCGM_FI_DEV_POWER_USAGE{${uuid}} NaN`,
      `DCGM_FI_PROF_SOMETHING_NEW{${uuid}} +Inf`,
      `DCGM_FI_DEV_MEM_CLOCK{${uuid}} 1593`,
    ].join('\n');
    const g = parseDcgm(text).records[0]!;
    expect(g.values).toEqual({ clock_mem: 1593 });
    expect(g.extra).toEqual([]);
    expect(g.errors.map((e) => [e.field, e.reason, e.message])).toEqual([
      ['temp_gpu', 'unparseable', 'temp_gpu: +Inf is not a value'],
      ['clock_sm', 'unparseable', 'clock_sm: -Inf is not a value'],
      ['power_draw', 'unparseable', 'power_draw: NaN is not a value'],
      ['DCGM_FI_PROF_SOMETHING_NEW', 'unparseable', 'DCGM_FI_PROF_SOMETHING_NEW: +Inf is not a value'],
    ]);
  });
});

describe('kernel-log XID lines', () => {
  it('reads /dev/kmsg and dmesg forms, old and new PCI spellings', () => {
    expect(
      parseXidLine(
        '4,1520,2237871342,-;NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
      ),
    ).toEqual({
      pci: '0:3b:00',
      xid: 79,
      seq: 1520,
      uptimeSec: 2237.871342,
      message: 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python, GPU has fallen off the bus.',
    });
    const dmesg = parseXidLine('[ 1234.567890] NVRM: Xid (0000:03:00): 13, 0002 00000000 0000a1c0 00000144');
    expect(dmesg).toMatchObject({ pci: '0:03:00', xid: 13, uptimeSec: 1234.56789 });
    expect(dmesg?.seq).toBeUndefined(); // dmesg text carries no sequence number
    expect(parseXidLine('NVRM: loading NVIDIA UNIX x86_64 Kernel Module  535.54.03')).toBeUndefined();
    expect(pciKey('00000000:3B:00.0')).toBe('0:3b:00'); // nvidia-smi's 8-digit domain
    expect(pciKey('00001580:00:00.0')).toBe('5504:00:00');
  });
});

describe('dcgm, MIG rows repeat the parent', () => {
  it('keeps instance metrics on the MIG record and parent values once, on the GPU', () => {
    const gpu = 'gpu="0",UUID="GPU-9"';
    const mig = (gi: string) => `${gpu},GPU_I_PROFILE="3g.40gb",GPU_I_ID="${gi}"`;
    const r = parseDcgm(
      [
        `DCGM_FI_DEV_POWER_USAGE{${gpu}} 78.174000`,
        `DCGM_FI_DEV_POWER_USAGE{${mig('1')}} 78.174000`,
        `DCGM_FI_DEV_POWER_USAGE{${mig('2')}} 78.446000`,
        `DCGM_FI_DEV_GPU_TEMP{${mig('1')}} 33`,
        `DCGM_FI_DEV_FB_USED{${mig('1')}} 100`,
        `DCGM_FI_DEV_FB_USED{${mig('2')}} 200`,
        `DCGM_FI_PROF_SM_ACTIVE{${mig('2')}} 0.5`,
      ].join('\n'),
    );
    const [parent, m1, m2] = r.records;
    expect(parent!.values).toEqual({ power_draw: 78.174, temp_gpu: 33 }); // temp only came on a MIG row
    expect(m1!.values).toEqual({ memory_used: 100 * MiB });
    expect(m2!.values).toEqual({ memory_used: 200 * MiB, util_sm_active: 50 });
  });
});

describe('counters, damaged', () => {
  it('ethtool -S: a counter beyond 2^53 or non-numeric is an error on its field', () => {
    const r = parseEthtoolS('rx_crc_errors_phy: 18446744073709551615\nlink_down_events_phy: x\nrx_symbol_err_phy: 4\n');
    const l = r.records[0]!;
    expect(errorFields(l).sort()).toEqual(['crc_errors', 'link_down_events']);
    expect(l.values).toEqual({ symbol_errors: 4 });
  });

  it('/proc/net/dev: a short line is refused, the others kept', () => {
    const r = parseProcNetDev('  eth0: 1 2 3\n    lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n');
    expect(r.records.map((x) => x.labels.interface)).toEqual(['lo']);
    expect(r.errors).toMatchObject([{ line: 1, reason: 'column_count' }]);
  });
});

describe('meridian parse', () => {
  function capture(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
  }

  it('prints one JSON object per GPU, N/A fields absent', async () => {
    const c = capture();
    const code = await runParse('nvidia-smi-xml', fixturePath('gpu/telegraf-2x-rtx-a5000-v13-q.xml'), {}, c.io);
    expect(code).toBe(0);
    expect(c.out).toHaveLength(2);
    const first = JSON.parse(c.out[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ entity: 'gpu', gpu_index: 0, power_draw: 13.6, errors: [] });
    expect(first).not.toHaveProperty('temp_memory');
  });

  it('names unparseable fields in the record’s errors list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-parse-'));
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'index, uuid, power.draw [W], memory.used [MiB]\n0, GPU-z, 1e30 W, lots MiB\n');
    const c = capture();
    expect(await runParse('nvidia-smi-csv', f, {}, c.io)).toBe(0);
    const rec = JSON.parse(c.out[0]!) as { errors: string[]; error_detail: Record<string, string> };
    expect(rec.errors.sort()).toEqual(['memory_used', 'power_draw']);
    expect(rec.error_detail.power_draw).toMatch(/outside the possible range/);
  });

  it('bad kind and unreadable file exit 2 and name the culprit', async () => {
    const c = capture();
    expect(await runParse('nvidia-smi-json', '/etc/hostname', {}, c.io)).toBe(2);
    expect(c.err[0]).toMatch(/unknown kind "nvidia-smi-json"/);
    expect(await runParse('ping', '/no/such/file.txt', {}, c.io)).toBe(2);
    expect(c.err[1]).toMatch(/cannot read file "\/no\/such\/file.txt" \(ENOENT\)/);
  });

  it('an unusable document exits 1 with the reason on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-parse-'));
    const f = join(dir, 'cut.xml');
    writeFileSync(f, '<?xml version="1.0" ?>\n<nvidia_smi_log>\n<gpu id="1">\n<uuid>GPU-');
    const c = capture();
    expect(await runParse('nvidia-smi-xml', f, {}, c.io)).toBe(1);
    expect(c.err[0]).toMatch(/cut\.xml:\d+: document: malformed XML/);
  });

  it('registers `parse <kind> <file>` with --interface on a commander program', async () => {
    const program = new Command('meridian').exitOverride();
    registerParseCommand(program);
    const cmd = program.commands.find((x) => x.name() === 'parse')!;
    expect(cmd.registeredArguments.map((a) => a.name())).toEqual(['kind', 'file']);
    expect(cmd.options.map((o) => o.long)).toContain('--interface');
  });

  const bin = join(REPO_ROOT, 'cli', 'dist', 'main.js');
  it.skipIf(!existsSync(bin))(
    'the built `meridian` binary: exit codes, and a reader that closes the pipe early',
    () => {
      const bad = spawnSync(process.execPath, [bin, 'parse', 'nvidia-smi-json', '/etc/hostname'], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown kind "nvidia-smi-json"/);
      const missing = spawnSync(process.execPath, [bin, 'parse', 'ping', '/no/such/file'], { encoding: 'utf8' });
      expect(missing.status).toBe(2);
      const ok = spawnSync(
        process.execPath,
        [bin, 'parse', 'dcgm', fixturePath('gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom')],
        {
          encoding: 'utf8',
        },
      );
      expect(ok.status).toBe(0);
      expect(
        ok.stdout
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { mig_instance?: string }).mig_instance),
      ).toEqual([undefined, '13']);
      const piped = spawnSync(
        'sh',
        [
          '-c',
          `"${process.execPath}" "${bin}" parse proc-net-dev "${fixturePath('link/proc-net-dev_node-exporter-fixture.txt')}" | head -c 10`,
        ],
        {
          encoding: 'utf8',
        },
      );
      expect(piped.stderr).not.toMatch(/EPIPE/);
    },
  );
});
