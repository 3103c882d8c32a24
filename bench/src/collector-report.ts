/**
 * bench:collector's report: what each process of the run cost over the measured window, the fitted
 * CPU per probe where --sweep gave several rates, the rows the store received and the targets.
 * Kept apart from the measuring (collector.ts) so that what is printed can be read in one place.
 */

/** CPU seconds over the window and peak RSS of one process (with its reaped children, where asked). */
export interface Usage {
  cpuS: number;
  peakRssMb: number;
}

/** The run's figures over the measured window, as the report prints them. */
export interface Measured {
  /** The measured window's wall time. */
  wallS: number;
  /** The measured collector: CPU over the window (its STAMP sender process's included) and peak RSS. */
  c: Usage;
  /** Peak RSS of its STAMP sender process (0 when it does not probe). */
  cHelperRssMb: number;
  /** Its system (kernel) CPU seconds. */
  cSys: number;
  /** Its resident memory at the end, anonymous and file-backed. */
  cSplit: { anon: number; file: number } | undefined;
  /** The CPU it spent from spawn to the window. */
  startupS: number;
  /** The same-window collectors (--variant, --against, --sweep); rate only for --sweep. */
  variantResults: {
    label: string;
    rate: number | undefined;
    /** An --against build's STAMP rate where it probes and the measured collector does not. */
    proberRate?: number | undefined;
    cpuS: number;
    sysS: number;
    /** CPU of the processes it spawned and reaped inside the window (attribution's nvidia-smi calls). */
    childS: number;
    rssMb: number;
    /** Peak RSS of its STAMP sender process (0 when it does not probe). */
    helperRssMb: number;
    split: { anon: number; file: number } | undefined;
  }[];
  /** The simulated nvidia-smi stream the collector runs: CPU seconds and peak RSS. */
  smiCpu: number;
  smiRss: number;
  /** The yardstick, with the nvidia-smi it spawns, and its own process alone. */
  b: Usage;
  bSelf: number;
  /** The idle Node floor. */
  idleCpu: number;
  idleRss: number;
  /** The bare sender at the collector's rate, where STAMP is on. */
  bareCpu: number | undefined;
  bareRss: number | undefined;
  /** The other bare senders (--floors shapes, --sweep rates). */
  variantUsage: { label: string; rate: number | undefined; cpuS: number; rssMb: number }[];
  /** The lines the bare sender and the yardstick print when stopped. */
  bareReplies: string | undefined;
  baselineRows: string;
  /** Rows the stand-in store received in the window, per table. */
  gained: (table: string) => number;
  /** The measured collector's stderr. */
  collectorLog: string;
}

/** Least-squares line y = base + perProbe × x. */
function fitLine(points: readonly { x: number; y: number }[]): { base: number; perProbe: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const perProbe = sxx > 0 ? points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx : 0;
  return { base: my - perProbe * mx, perProbe };
}

function row(name: string, cpuS: number, wallS: number, rssMb: number | undefined): string {
  const perHour = (cpuS / wallS) * 3600;
  const pct = (cpuS / wallS) * 100;
  return `${name.padEnd(58)} ${perHour.toFixed(1).padStart(8)} s/h  ${pct.toFixed(3).padStart(7)} %  ${rssMb === undefined ? '      -' : rssMb.toFixed(1).padStart(7)} MB`;
}

/** The STAMP sender's own process: its CPU is in the line above, its memory is its own. */
function helperLine(indent: string, rssMb: number): string {
  return `${indent}its STAMP sender process (CPU counted above): peak RSS ${rssMb.toFixed(1)} MB`;
}

/** The resident memory at the end of the window, anonymous and file-backed. */
function splitLine(indent: string, split: { anon: number; file: number } | undefined): string {
  if (!split) return `${indent}resident at the end: unreadable`;
  const mb = (b: number) => (b / 1048576).toFixed(1);
  return `${indent}resident at the end: ${mb(split.anon + split.file)} MB = ${mb(split.anon)} MB anonymous (V8 heap, malloc) + ${mb(split.file)} MB file-backed (the node binary's pages, shared)`;
}

/** Prints the run's figures; peers and stampRate are the measured collector's STAMP settings. */
export function printReport(m: Measured, { peers, stampRate }: { peers: number; stampRate: number }): void {
  const {
    wallS,
    c,
    cSys,
    cSplit,
    startupS,
    variantResults,
    smiCpu,
    smiRss,
    b,
    bSelf,
    idleCpu,
    idleRss,
    bareCpu,
    bareRss,
    variantUsage,
    bareReplies,
    baselineRows,
    gained,
    collectorLog,
  } = m;
  console.log(
    `\nmeasured over ${wallS.toFixed(1)} s of wall time (CPU seconds per hour of running, share of one core, peak RSS)`,
  );
  console.log(row('meridian collect (the agent process)', c.cpuS, wallS, c.peakRssMb));
  console.log(row('  of which system time (kernel)', cSys, wallS, undefined));
  console.log(splitLine('  ', cSplit));
  if (m.cHelperRssMb > 0) console.log(helperLine('  ', m.cHelperRssMb));
  console.log(
    `${'  start-up before the window (load, inventory, JIT warm-up)'.padEnd(58)} ${startupS.toFixed(2).padStart(8)} s once` +
      ` (${((startupS / 3600) * 100).toFixed(3)} % of one core if spread over an hour)`,
  );
  for (const v of variantResults) {
    console.log(row(`  beside it: ${v.label}`, v.cpuS, wallS, v.rssMb));
    console.log(row('    of which system time (kernel)', v.sysS, wallS, undefined));
    console.log(splitLine('    ', v.split));
    if (v.helperRssMb > 0) console.log(helperLine('    ', v.helperRssMb));
    if (v.childS > 0) console.log(row('    + the short-lived processes it spawned', v.childS, wallS, undefined));
    if (v.label.startsWith('with attribution'))
      console.log(row('    attribution adds (this minus the measured collector)', v.cpuS - c.cpuS, wallS, undefined));
  }
  console.log(row('  + its simulated nvidia-smi -lms stream (a node script)', c.cpuS + smiCpu, wallS, undefined));
  console.log(
    `${''.padEnd(58)} (the simulated nvidia-smi alone: ${((smiCpu / wallS) * 100).toFixed(3)} %, ${smiRss.toFixed(1)} MB)`,
  );
  console.log(row('yardstick: spawn nvidia-smi per sample (incl. the spawns)', b.cpuS, wallS, b.peakRssMb));
  console.log(row('  of which the yardstick process itself', bSelf, wallS, undefined));
  console.log(row('floor: an idle Node process (timer at 1 Hz) on this machine', idleCpu, wallS, idleRss));
  if (bareCpu !== undefined)
    console.log(
      row(`floor: bare node:dgram, ${peers} peers × ${stampRate}/s (connected, one timer)`, bareCpu, wallS, bareRss),
    );
  for (const v of variantUsage) console.log(row(v.label, v.cpuS, wallS, v.rssMb));
  if (bareCpu !== undefined)
    console.log(
      row('the agent minus the bare sender (what it adds above that floor)', c.cpuS - bareCpu, wallS, undefined),
    );

  // CPU ≈ base + k × probes/s, fitted over the collectors at each rate and, apart, the bare senders.
  const sweep = variantResults.filter((v) => v.rate !== undefined);
  if (sweep.length > 0) {
    const agentPoints = [
      { pps: stampRate * peers, cpuS: c.cpuS },
      ...sweep.map((v) => ({ pps: v.rate! * peers, cpuS: v.cpuS })),
    ];
    const floorPoints = [
      { pps: 0, cpuS: idleCpu },
      ...(bareCpu !== undefined ? [{ pps: stampRate * peers, cpuS: bareCpu }] : []),
      ...variantUsage.filter((v) => v.rate !== undefined).map((v) => ({ pps: v.rate! * peers, cpuS: v.cpuS })),
    ];
    for (const [name, points] of [
      ['the agent', agentPoints],
      ['the bare sender (idle Node at 0)', floorPoints],
    ] as const) {
      const { base, perProbe } = fitLine(points.map((p) => ({ x: p.pps, y: p.cpuS / wallS })));
      console.log(
        `fit, ${name}: CPU ≈ ${(base * 100).toFixed(3)} % + ${(perProbe * 1e6).toFixed(1)} µs per probe ` +
          `(${(perProbe * 100 * 100).toFixed(3)} % of a core per 100 probes/s) over ${points.map((p) => p.pps).join(', ')} probes/s`,
      );
    }
  }
  console.log(
    `\nrows the store received in the measured window: gpu ${gained('gpu_samples')}, host ${gained('host_samples')}, ` +
      `link ${gained('link_samples')} (yardstick parsed ${baselineRows.slice(5)} GPU lines in all` +
      `${bareReplies ? `; the bare sender got ${bareReplies.slice(8)} replies` : ''})`,
  );
  const pct = (c.cpuS / wallS) * 100;
  const who = stampRate > 0 ? 'the agent (probing every peer)' : 'a collector that is not a prober (reflector only)';
  console.log(
    `targets: ${who}: CPU <= 0.5 % of one core: ${pct <= 0.5 ? 'MET' : 'NOT MET'} (${pct.toFixed(3)} %); ` +
      `RSS <= 80 MB: ${c.peakRssMb <= 80 ? 'MET' : 'NOT MET'} (${c.peakRssMb.toFixed(1)} MB)`,
  );
  if (stampRate === 0) printProberTargets(m, peers);
  if (/nvidia-smi is not available|ECONNREFUSED|lost/.test(collectorLog))
    console.log(`collector log:\n${collectorLog}`);
}

/**
 * With the measured collector not probing (--no-stamp) and --sweep collectors that do, what probing
 * adds to a collector (an elected prober minus the non-prober, same window) beside what the bare
 * sender at the same rate adds to an idle Node process. Target: at most 1.5 × that floor.
 */
function printProberTargets(m: Measured, peers: number): void {
  for (const prober of m.variantResults) {
    const rate = prober.rate ?? prober.proberRate;
    const floor = m.variantUsage.find((v) => v.rate === rate);
    if (rate === undefined || rate <= 0 || !floor) continue;
    const extra = (prober.cpuS - m.c.cpuS) / m.wallS;
    const bare = (floor.cpuS - m.idleCpu) / m.wallS;
    const ratio = extra / bare;
    const perProbeUs = (extra / (peers * rate)) * 1e6;
    const which = prober.rate === undefined ? ` (${prober.label})` : '';
    console.log(
      `targets: a prober${which} at ${peers} peers × ${rate}/s adds ${(extra * 100).toFixed(3)} % of a core ` +
        `(${perProbeUs.toFixed(1)} µs per probe); the bare sender adds ${(bare * 100).toFixed(3)} % above idle Node ` +
        `(${((bare / (peers * rate)) * 1e6).toFixed(1)} µs per probe): ${ratio.toFixed(2)} × (<= 1.5: ${ratio <= 1.5 ? 'MET' : 'NOT MET'})`,
    );
  }
}
