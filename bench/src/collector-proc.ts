/** Reading a process tree's CPU time and memory from /proc (Linux), for the collector bench. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ; `getconf CLK_TCK` is 100 on every Linux we run on.

export interface ProcSample {
  /** CPU seconds of the process itself (user + system). */
  readonly self: number;
  /** The kernel's share of `self` (system time: syscalls, and on loopback the peer's receive path). */
  readonly sys: number;
  /** CPU seconds of its children that have exited and been waited for. */
  readonly reapedChildren: number;
  readonly rssBytes: number;
}

export function readProc(pid: number): ProcSample | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces; the fields after its closing parenthesis do not.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i - 3]); // i: the field's 1-based number in proc(5)
  return {
    self: (n(14) + n(15)) / TICKS_PER_S,
    sys: n(15) / TICKS_PER_S,
    reapedChildren: (n(16) + n(17)) / TICKS_PER_S,
    rssBytes: n(24) * 4096,
  };
}

/**
 * Resident memory now, split: anonymous (V8's heap, malloc) and file-backed (mostly the node
 * binary's pages, shared with every Node process on the host), in bytes.
 */
export function rssSplit(pid: number): { anon: number; file: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return undefined;
  }
}

/** Peak resident set size (VmHWM) in bytes. */
export function peakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Live descendants of a process. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** Whether a process is one the agent runs as part of itself: the STAMP sender's own process. */
export function isAgentHelper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sender-process-main');
  } catch {
    return false;
  }
}

/**
 * An agent's CPU as readProc's, with its helper processes' (isAgentHelper) added: `meridian collect`
 * probes from a process of its own, and that work is the agent's. Memory stays the agent's own.
 */
export function readAgentProc(pid: number): ProcSample | undefined {
  const own = readProc(pid);
  if (!own) return undefined;
  const helpers = descendants(pid)
    .filter(isAgentHelper)
    .map(readProc)
    .filter((p) => p !== undefined);
  return {
    ...own,
    self: own.self + helpers.reduce((s, h) => s + h.self, 0),
    sys: own.sys + helpers.reduce((s, h) => s + h.sys, 0),
  };
}

/** Peak RSS of an agent's helper processes, in bytes (0 without any). */
export function helperPeakRss(pid: number): number {
  return descendants(pid)
    .filter(isAgentHelper)
    .reduce((sum, p) => sum + (peakRss(p) ?? 0), 0);
}
