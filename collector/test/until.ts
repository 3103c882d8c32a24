/**
 * The collector tests' one way to wait: poll a condition (sync or async) until it holds, or fail
 * after `timeoutMs` naming what was awaited. Tests wait on what they assert, never a fixed time.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
