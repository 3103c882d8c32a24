/**
 * Reads one cluster's jobs and nodes. Two ways, the same data parser behind both:
 * - the clients: `squeue --json` and `sinfo --json` (21.08 and later). One call each returns every
 *   job (with `tres_per_node`, `gres_detail`, state, partition, QoS, priority, requeue, comment) and
 *   every node (with `gres`, `gres_used`), so a pass costs two processes per cluster whatever the
 *   number of jobs. `scontrol show job -d` says the same per job in text; `scontrol --json` does not
 *   exist before 23.02, so it is not used.
 * - slurmrestd (`/slurm/<version>/jobs` and `/nodes`, JWT auth), for sites that expose it and
 *   not the clients.
 * Both are bounded: a time limit (the client is killed, the request aborted) and a size limit.
 */
import { readSecretFile } from '@meridian/runtime';
import { runSlurm, type SlurmTarget } from './command.js';
import { clusterName, type SlurmClusterConfig } from './config.js';
import { parseSlurmJson, sinfoSchema, squeueSchema, type SinfoNode, type SqueueJob } from './schema.js';

export interface ClusterReader {
  readonly cluster: string;
  readonly region: string;
  readJobs(): Promise<SqueueJob[]>;
  readNodes(): Promise<SinfoNode[]>;
}

export interface ReaderLimits {
  readonly timeoutMs: number;
  readonly maxBytes?: number;
}

const MAX_BYTES = 256 * 1024 * 1024;

export function cliReader(c: SlurmClusterConfig, limits: ReaderLimits): ClusterReader {
  if (!c.conf) throw new Error(`slurm cluster of region ${c.region}: no conf`);
  const target: SlurmTarget = { cluster: clusterName(c), conf: c.conf, ...(c.binDir ? { binDir: c.binDir } : {}) };
  const opts = { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes ?? MAX_BYTES };
  return {
    cluster: target.cluster,
    region: c.region,
    async readJobs() {
      const out = await runSlurm(target, 'squeue', ['--json'], opts);
      return parseSlurmJson(squeueSchema, out, `squeue --json on ${target.cluster}`).jobs;
    },
    async readNodes() {
      const out = await runSlurm(target, 'sinfo', ['--json'], opts);
      return parseSlurmJson(sinfoSchema, out, `sinfo --json on ${target.cluster}`).nodes;
    },
  };
}

/** Reads at most `max` bytes of a response body; more aborts the read. */
async function boundedText(res: Response, max: number, what: string): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel();
      throw new Error(`${what}: answer larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function restReader(c: SlurmClusterConfig, limits: ReaderLimits): ClusterReader {
  const rest = c.rest;
  if (!rest) throw new Error(`slurm cluster of region ${c.region}: no rest`);
  const cluster = clusterName(c);
  const get = async (resource: 'jobs' | 'nodes'): Promise<string> => {
    const what = `slurmrestd ${resource} on ${cluster}`;
    // Read each time: `scontrol token` tokens expire and are replaced in place.
    const token = readSecretFile(rest.tokenFile, `slurm cluster ${cluster} rest.tokenFile`);
    const url = new URL(`slurm/${rest.apiVersion}/${resource}`, rest.url.endsWith('/') ? rest.url : `${rest.url}/`);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { 'X-SLURM-USER-NAME': rest.user, 'X-SLURM-USER-TOKEN': token, accept: 'application/json' },
        signal: AbortSignal.timeout(limits.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `did not answer within ${limits.timeoutMs} ms` : e.message;
      throw new Error(`${what}: ${why}`, { cause: err });
    }
    const body = await boundedText(res, limits.maxBytes ?? MAX_BYTES, what);
    if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${body.slice(0, 200)}`);
    return body;
  };
  return {
    cluster,
    region: c.region,
    async readJobs() {
      return parseSlurmJson(squeueSchema, await get('jobs'), `slurmrestd jobs on ${cluster}`).jobs;
    },
    async readNodes() {
      return parseSlurmJson(sinfoSchema, await get('nodes'), `slurmrestd nodes on ${cluster}`).nodes;
    },
  };
}

export function clusterReader(c: SlurmClusterConfig, limits: ReaderLimits): ClusterReader {
  return c.rest ? restReader(c, limits) : cliReader(c, limits);
}
