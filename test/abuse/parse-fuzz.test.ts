/**
 * Every `meridian parse` kind against hostile and broken input: empty, random bytes, truncated real
 * captures, a huge line, XML entity tricks, deep nesting, non-finite and negative numbers. Each must
 * return (never throw), keep its messages short, and admit no NaN, infinity or out-of-range value.
 */
import { metricByName } from '@meridian/catalog';
import { parseOutput, PARSE_KINDS, type ParseKind, type ParseResult } from '@meridian/collector';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../collector/test/fixtures-helpers.js';

/** A real capture of each kind, to truncate and to splice hostile values into. */
const SAMPLE: Record<ParseKind, string> = {
  'nvidia-smi-xml': fixture('gpu/telegraf-tesla-t4-v11-q.xml'),
  'nvidia-smi-csv': fixture('gpu/nvgpuexp-l40s-595.80-query-gpu-load.csv'),
  dcgm: fixture('gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom'),
  'nvidia-smi-nvlink': fixture('gpu/nvidia-smi-nvlink-e-h100-ml-engineering.txt'),
  'ethtool-m': fixture('link/ethtool-m_sfp-10gsr_i40e_dom-healthy_showmax.txt'),
  'ethtool-s': fixture('link/ethtool-S_mlx5_core-kernel-4.15_with-phy-counters_ethq-testdata.txt'),
  'proc-net-dev': fixture('link/proc-net-dev_node-exporter-fixture.txt'),
  ping: fixture('link/ping_iputils_broadcast-duplicates-pipe_jc-fixture.txt'),
  'iperf3-json': fixture('link/iperf3-json_gcp-europe-west2-to-us-78ms-rtt_omit3-retrans222_cloudpilot.json'),
};

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function randomText(seed: number, n: number): string {
  let x = seed >>> 0 || 1;
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes.toString('latin1');
}

const HOSTILE_NUMBERS = [
  'NaN',
  'nan',
  'Infinity',
  '+Inf',
  '-Inf',
  'inf',
  '-0',
  '1e309',
  '-1e309',
  '-5',
  '-9007199254740993',
];

/** Replaces every number in the sample with a hostile one, cycling through the list. */
function withHostileNumbers(text: string): string {
  let i = 0;
  return text.replace(/\b\d+(\.\d+)?\b/g, () => HOSTILE_NUMBERS[i++ % HOSTILE_NUMBERS.length]!);
}

const XML_TRICKS = {
  'external entity': `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><nvidia_smi_log><gpu id="0"><product_name>&xxe;</product_name></gpu></nvidia_smi_log>`,
  'billion laughs': `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "${'x'.repeat(64)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><nvidia_smi_log><gpu id="0"><product_name>&d;&d;&d;</product_name></gpu></nvidia_smi_log>`,
  'entity over 10,000 characters': `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY big "${'y'.repeat(20_000)}">]><nvidia_smi_log><gpu id="0"><product_name>&big;</product_name></gpu></nvidia_smi_log>`,
  'deep nesting': `<nvidia_smi_log><gpu id="0">${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</gpu></nvidia_smi_log>`,
};

type Case = [kind: ParseKind, name: string, text: string];

const cases: Case[] = PARSE_KINDS.flatMap((kind): Case[] => {
  const sample = SAMPLE[kind];
  return [
    [kind, 'empty', ''],
    [kind, 'whitespace', ' \n\t\n'],
    [kind, 'random bytes', randomText(kind.length * 7919, 4096)],
    [kind, 'truncated at a third', sample.slice(0, Math.floor(sample.length / 3))],
    [kind, 'truncated mid-line', sample.slice(0, Math.floor(sample.length / 2) + 3)],
    [kind, 'a 2 MB line', `${sample.slice(0, 200)}${'9'.repeat(2_000_000)}\n${sample.slice(200)}`],
    [kind, 'NUL bytes and CRLF', sample.replace(/\n/g, '\r\n').replace(/ /g, '\0')],
    [kind, 'hostile numbers', withHostileNumbers(sample)],
    ...(kind === 'nvidia-smi-xml' ? Object.entries(XML_TRICKS).map(([n, t]): Case => [kind, n, t]) : []),
  ];
});

const MAX_MESSAGE = 1_000;

function assertSane(r: ParseResult): void {
  for (const e of r.errors) {
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(e.message).not.toMatch(/undefined/);
  }
  for (const rec of r.records) {
    for (const e of rec.errors) expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
    for (const [name, v] of Object.entries(rec.values)) {
      expect(Number.isFinite(v), `${name} = ${v}`).toBe(true);
      expect(Object.is(v, -0), `${name} is -0`).toBe(false);
      const m = metricByName(name);
      if (m?.range) {
        expect(v, `${name} below its range`).toBeGreaterThanOrEqual(m.range.min);
        expect(v, `${name} above its range`).toBeLessThanOrEqual(m.range.max);
      }
      if (m?.kind === 'counter') expect(v, `counter ${name} negative`).toBeGreaterThanOrEqual(0);
    }
    for (const x of rec.extra) expect(Number.isFinite(x.value), `${x.name} = ${x.value}`).toBe(true);
  }
}

describe('meridian parse against hostile input', () => {
  it.each(cases)('%s: %s returns a bounded result', (kind, _name, text) => {
    let r: ParseResult | undefined;
    expect(() => {
      r = parseOutput(kind, text, { iface: 'eth0' });
    }).not.toThrow();
    assertSane(r!);
  });

  it('an empty document is said to be empty, by name', () => {
    const r = parseOutput('nvidia-smi-xml', '');
    expect(r.records).toEqual([]);
    expect(r.errors[0]?.message).toMatch(/empty/i);
  });

  it('an external entity is never resolved', () => {
    const r = parseOutput('nvidia-smi-xml', XML_TRICKS['external entity']);
    expect(JSON.stringify(r)).not.toContain('root:');
  });
});
