/**
 * Where the real captured tool outputs live. They are kept outside the repository (../shared) and
 * never edited; MERIDIAN_FIXTURES overrides the location.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const FIXTURES_DIR: string =
  process.env.MERIDIAN_FIXTURES ??
  [join(repoRoot, '..', 'shared', 'fixtures'), join(repoRoot, 'shared', 'fixtures')].find((d) => existsSync(d)) ??
  join(repoRoot, '..', 'shared', 'fixtures');

export function fixture(rel: string): string {
  return readFileSync(join(FIXTURES_DIR, rel), 'utf8');
}

export function fixturePath(rel: string): string {
  return join(FIXTURES_DIR, rel);
}

/** Every fixture file (not SOURCES.md) under gpu/ and link/, as "dir/name". */
export function allFixtures(): string[] {
  return ['gpu', 'link'].flatMap((d) =>
    readdirSync(join(FIXTURES_DIR, d))
      .filter((f) => f !== 'SOURCES.md')
      .map((f) => `${d}/${f}`),
  );
}

export const REPO_ROOT = repoRoot;
