/**
 * The Slurm executor's config: the example in deploy/slurm parses, the factory builds the executor
 * from it, and a bad key is named.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExecutor, loadConfigFile, parseConfig } from '@meridian/scheduler';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../../deploy/slurm/scheduler-slurm.yaml', import.meta.url));

describe('executor kind slurm', () => {
  it('the deploy example parses, with its documented values', () => {
    const c = loadConfigFile(example);
    expect(c.executor).toMatchObject({
      kind: 'slurm',
      signal: 'USR1',
      graceSeconds: 30,
      withoutCheckpoint: 'move',
      timeoutSeconds: 10,
      hold: true,
      clusters: [
        { region: 'eu-east', name: 'east', conf: '/etc/slurm-east/slurm.conf' },
        { region: 'eu-west', name: 'west', conf: '/etc/slurm-west/slurm.conf' },
      ],
    });
  });

  it('the factory builds the Slurm executor', async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'meridian-slurm-cfg-'));
    const ex = await createExecutor(
      parseConfig({ executor: { kind: 'slurm', journalDir, clusters: [{ region: 'a', conf: '/x/slurm.conf' }] } }),
    );
    expect(ex.name).toBe('slurm');
    expect(typeof ex.place).toBe('function');
  });

  it.each([
    [{ kind: 'slurm', journalDir: '/j', clusters: [] }, /executor\.clusters/],
    [{ kind: 'slurm', journalDir: '/j', clusters: [{ region: 'a' }] }, /executor\.clusters\.0/],
    [{ kind: 'slurm', journalDir: '/j', clusters: [{ region: 'a', conf: '/c' }], signal: 'usr1' }, /executor\.signal/],
    [
      { kind: 'slurm', journalDir: '/j', clusters: [{ region: 'a', conf: '/c' }], withoutCheckpoint: 'maybe' },
      /executor\.withoutCheckpoint/,
    ],
    [{ kind: 'slurm', clusters: [{ region: 'a', conf: '/c' }] }, /executor\.journalDir/],
  ])('names the bad key (%j)', (executor, key) => {
    expect(() => parseConfig({ executor } as never)).toThrow(key);
  });
});
