import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStoreOptions } from '../src/options.js';
import { resolveStoreTarget, StoreTargetError } from '../src/target.js';

const D = '/srv/flag-data';
const URL_FLAG = 'http://flag:8123';
const CFG = { file: '/etc/meridian/x.yaml' };
const ENV_URL = { MERIDIAN_CLICKHOUSE_URL: 'http://env:8123' };
const ENV_DATA = { MERIDIAN_DATA: '/srv/env-data' };

describe('one rule for where the store is: flag, then config, then environment, then ./data', () => {
  const cases: [string, Parameters<typeof resolveStoreTarget>[0], string, string][] = [
    ['nothing at all', { env: {} }, `embedded ${path.resolve('./data')}`, 'the default ./data'],
    ['MERIDIAN_DATA', { env: ENV_DATA }, 'embedded /srv/env-data', 'MERIDIAN_DATA'],
    ['MERIDIAN_CLICKHOUSE_URL', { env: ENV_URL }, 'server http://env:8123', 'MERIDIAN_CLICKHOUSE_URL'],
    ['--data beats the URL in the environment', { flags: { data: D }, env: ENV_URL }, `embedded ${D}`, '--data'],
    [
      '--clickhouse beats MERIDIAN_DATA',
      { flags: { clickhouse: URL_FLAG }, env: ENV_DATA },
      'server http://flag:8123',
      '--clickhouse',
    ],
    [
      '--data clears a server named in the config',
      { flags: { data: D }, config: { ...CFG, clickhouse: 'http://cfg:8123' }, env: {} },
      `embedded ${D}`,
      '--data',
    ],
    [
      '--clickhouse clears a directory named in the config',
      { flags: { clickhouse: URL_FLAG }, config: { ...CFG, data: '/cfg' }, env: {} },
      'server http://flag:8123',
      '--clickhouse',
    ],
    [
      'the config beats the environment, whichever target each names',
      { config: { ...CFG, data: '/cfg' }, env: ENV_URL },
      'embedded /cfg',
      'store.data in /etc/meridian/x.yaml',
    ],
    [
      'a config server beats MERIDIAN_DATA',
      { config: { ...CFG, clickhouse: 'http://cfg:8123' }, env: ENV_DATA },
      'server http://cfg:8123',
      'store.clickhouse in /etc/meridian/x.yaml',
    ],
    [
      'an empty flag counts as not given',
      { flags: { data: '' }, env: ENV_URL },
      'server http://env:8123',
      'MERIDIAN_CLICKHOUSE_URL',
    ],
  ];
  it.each(cases)('%s', (_name, src, want, from) => {
    const t = resolveStoreTarget(src);
    expect(`${t.kind} ${t.kind === 'embedded' ? t.data : t.clickhouse}`).toBe(want);
    expect(t.from).toBe(from);
  });

  it('refuses a layer that names both targets, naming both', () => {
    expect(() => resolveStoreTarget({ flags: { data: D, clickhouse: URL_FLAG }, env: {} })).toThrow(
      new StoreTargetError(
        '--data and --clickhouse name two different stores: keep one (the embedded directory or the ClickHouse server)',
      ),
    );
    expect(() => resolveStoreTarget({ config: { ...CFG, data: '/a', clickhouse: 'http://b:1' }, env: {} })).toThrow(
      /store\.data in \/etc\/meridian\/x\.yaml and store\.clickhouse in \/etc\/meridian\/x\.yaml/,
    );
    expect(() => resolveStoreTarget({ env: { ...ENV_DATA, ...ENV_URL } })).toThrow(
      /MERIDIAN_DATA and MERIDIAN_CLICKHOUSE_URL/,
    );
  });

  it('openStore options follow the same rule: data given means embedded even with the URL in the environment', () => {
    expect(resolveStoreOptions({ data: D }, ENV_URL)).toEqual({ target: 'embedded', data: D });
    expect(resolveStoreOptions({}, ENV_URL)).toMatchObject({ target: 'server', url: 'http://env:8123' });
    expect(() => resolveStoreOptions({}, { MERIDIAN_CLICKHOUSE_URL: 'nope' })).toThrow(
      /^MERIDIAN_CLICKHOUSE_URL: not a URL/,
    );
  });
});
