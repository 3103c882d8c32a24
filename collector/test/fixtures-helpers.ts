/**
 * Where the real captured tool outputs live: test/fixtures in this repository (see its README for
 * their sources and licences). They are never edited; MERIDIAN_FIXTURES overrides the location.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const FIXTURES_DIR: string = process.env.MERIDIAN_FIXTURES ?? join(repoRoot, 'test', 'fixtures');

/** The path of a fixture; a missing one fails the test with its name, never a silent skip. */
export function fixturePath(rel: string): string {
  const file = join(FIXTURES_DIR, rel);
  if (!existsSync(file))
    throw new Error(`fixture ${rel} not found at ${file} (set MERIDIAN_FIXTURES to another folder)`);
  return file;
}

export function fixture(rel: string): string {
  return readFileSync(fixturePath(rel), 'utf8');
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
