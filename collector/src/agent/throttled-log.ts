/**
 * A log line that may recur once per batch (a lost batch, a spool that cannot be written) is
 * written at most once per interval: the first at once, later ones folded into a count carried by
 * the next line written. A full disk at a 10 s flush must not write a line per target per flush.
 */
export function throttledLog(
  log: (message: string) => void,
  intervalMs: number,
  now: () => number = Date.now,
): (message: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (message) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    log(suppressed > 0 ? `${message} (and ${suppressed} more like it since the last report)` : message);
    last = t;
    suppressed = 0;
  };
}
