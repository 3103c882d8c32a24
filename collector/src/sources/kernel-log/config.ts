/**
 * `sources.kernelLog`: NVRM XID events from the kernel log. It runs with the nvidia-smi source
 * (XIDs are attributed to GPUs through its inventory), and is on by default as it always was.
 */
import { z } from 'zod';
import { ms } from '../../config/units.js';

export const kernelLogConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /**
     * The log to follow: /dev/kmsg (the systemd unit allows it read-only, with CAP_SYSLOG for
     * dmesg_restrict=1), a FIFO fed from it (the DaemonSet's kmsg-relay container:
     * /run/meridian/kmsg/kmsg), or a file (a dmesg capture) for tests. See deploy/README.md.
     */
    path: z.string().min(1).default('/dev/kmsg'),
    /**
     * /dev/kmsg (through a `cat` child) and a FIFO are read as each record arrives; this is how soon
     * one is opened again after its relay or writers went. A plain file is drained this often.
     */
    pollMs: ms(100, 3_600_000, 5_000),
  })
  .prefault({});

export type KernelLogConfig = z.output<typeof kernelLogConfigSchema>;
