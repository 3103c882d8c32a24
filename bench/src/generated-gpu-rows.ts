/**
 * The engine generating GPU rows itself (INSERT … SELECT … FROM numbers()), so no client, encoding or
 * parsing is involved: the yardstick generator of bench:ingest and the rows bench:ingest-rollups
 * folds. Row `number` is GPU `number % gpus` at second `number / gpus` after `t0`, with smooth
 * curves like real boards.
 */

export interface GeneratedGpuRows {
  readonly table: string;
  /** Epoch ms of the first second. */
  readonly t0: number;
  readonly gpus: number;
  /** Rows [off, off + n). */
  readonly off: number;
  readonly n: number;
  /**
   * Also the writer's derived columns (a counter's increase, the first-in-minute and -hour flags),
   * so the region rollups count series as they do for the writer's rows.
   */
  readonly derived?: boolean;
}

/** The statement and its bound parameters. */
export function generatedGpuRows(g: GeneratedGpuRows): { query: string; params: Record<string, number> } {
  const derivedCols = g.derived ? ', ecc_sbe_volatile_inc, first_in_1m, first_in_1h' : '';
  const derivedValues = g.derived
    ? `, 0, intDiv(number, {gpus:UInt32}) % 60 = 0, intDiv(number, {gpus:UInt32}) % 3600 = 0`
    : '';
  const query = `INSERT INTO ${g.table} (ts, source, region, host, gpu_uuid, gpu_index, model, util_gpu, util_memory, memory_used,
       memory_free, memory_total, power_draw, power_limit, temp_gpu, temp_memory, clock_sm, clock_mem, throttle_reasons,
       throttled, pstate, ecc_sbe_volatile, ecc_dbe_volatile, pcie_tx, pcie_rx${derivedCols})
     SELECT fromUnixTimestamp64Milli(toInt64({t0:Int64} + intDiv(number, {gpus:UInt32}) * 1000)), 'bench',
       concat('r', toString((number % {gpus:UInt32}) % 8)), concat('h', toString(intDiv(number % {gpus:UInt32}, 8))),
       concat('GPU-', toString(number % {gpus:UInt32})), number % 8, 'NVIDIA H100 80GB HBM3',
       50 + 40 * sin(number / 7919.0), 30 + 20 * sin(number / 6007.0), 40000000000 + (number % 977) * 1048576,
       40000000000 - (number % 977) * 1048576, 85899345920, 300 + 200 * sin(number / 7919.0), 700,
       55 + 15 * sin(number / 7919.0), 60 + 10 * sin(number / 7919.0), 1980, 2619, 0, 0, 0,
       intDiv(number, 100000), 0, 1e9 + 1e8 * sin(number / 5003.0), 1e9 + 1e8 * cos(number / 5003.0)${derivedValues}
     FROM numbers({off:UInt64}, {n:UInt64})`;
  return { query, params: { t0: g.t0, gpus: g.gpus, off: g.off, n: g.n } };
}
