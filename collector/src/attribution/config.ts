/** `attribution`: which workload holds each GPU (issue 13 §2, issue 20 §3). */
import { z } from 'zod';
import { ms } from '../config/units.js';

export const attributionConfigSchema = z
  .strictObject({
    /** On by default: it finds out by itself whether this is a Kubernetes node. Runs with sources.nvidiaSmi. */
    enabled: z.boolean().default(true),
    /**
     * auto: the kubelet's PodResources socket when it exists, else the GPU's processes;
     * kubernetes / processes: only that path.
     */
    mode: z.enum(['auto', 'kubernetes', 'processes']).default('auto'),
    /** How often the kubelet is asked again. Pods come and go in seconds, not per sample. */
    intervalMs: ms(1_000, 3_600_000, 10_000),
    kubelet: z
      .strictObject({
        socket: z.string().min(1).default('/var/lib/kubelet/pod-resources/kubelet.sock'),
        timeoutMs: ms(100, 60_000, 2_000),
      })
      .prefault({}),
    processes: z
      .strictObject({
        /** The nvidia-smi to ask for compute processes; default: sources.nvidiaSmi.command. */
        command: z.string().min(1).optional(),
        /**
         * How often the GPU processes are read again: the `-lms` of one long-lived
         * `nvidia-smi --query-compute-apps` stream. Slurm jobs and containers live for minutes to days.
         */
        intervalMs: ms(1_000, 3_600_000, 30_000),
        /** Where /proc is (a container that mounts the host's /proc elsewhere, e.g. /host/proc). */
        procRoot: z.string().min(1).default('/proc'),
      })
      .prefault({}),
    /** This node's Slurm ClusterName, put before job ids ("east:42") as the Slurm observer names them. */
    slurmCluster: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{0,64}$/, 'must be letters, digits, "_", "." or "-"')
      .default(''),
  })
  .prefault({});

export type AttributionConfig = z.output<typeof attributionConfigSchema>;
