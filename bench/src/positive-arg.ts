/**
 * `--name N` from the command line, a positive number, or `fallback` when the flag is absent; any
 * other value fails naming the flag. For the benches whose flags are all counts and durations.
 */
export function positiveArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, got ${process.argv[i + 1]}`);
  return value;
}
