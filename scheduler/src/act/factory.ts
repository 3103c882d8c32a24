/**
 * Builds the executor and the record sinks a config names. Secrets are read here, at start-up, from
 * the env variable or file the config points at; they are never logged.
 */
import { readSecret, type SchedulerConfig } from '../config.js';
import type { Executor } from './executor.js';
import { DryRunExecutor, WebhookExecutor } from './executors.js';
import { AlertmanagerSink, GrafanaSink, WebhookSink, type Sink } from '../record/sinks.js';

/**
 * The Kubernetes client is imported only when the config asks for it: it costs seconds and tens of
 * megabytes to load, which `meridian up` and dry-run deployments should not pay.
 */
export async function createExecutor(cfg: SchedulerConfig): Promise<Executor> {
  const e = cfg.executor;
  switch (e.kind) {
    case 'dry-run':
    case 'approval':
      return new DryRunExecutor();
    case 'webhook':
      return new WebhookExecutor({
        url: e.url,
        secret: readSecret(e.secret, 'executor.secret'),
        timeoutMs: e.timeoutMs,
      });
    case 'kubernetes': {
      const { KubernetesExecutor, loadKubeConfig } = await import('./executor-kubernetes.js');
      return new KubernetesExecutor({
        mode: e.mode,
        kubeConfig: loadKubeConfig(e.kubeconfig),
        namespace: e.namespace,
        ...(e.contexts ? { contexts: e.contexts } : {}),
        ...(e.clusters ? { clusters: e.clusters } : {}),
        readyTimeoutMs: e.readyTimeoutSeconds * 1000,
        ...(cfg.placement.policy ? { placementPolicy: cfg.placement.policy } : {}),
      });
    }
    case 'slurm': {
      const { SlurmExecutor } = await import('./executor-slurm.js');
      return new SlurmExecutor({
        clusters: e.clusters,
        journalDir: e.journalDir,
        signal: e.signal,
        graceMs: e.graceSeconds * 1000,
        withoutCheckpoint: e.withoutCheckpoint,
        timeoutMs: e.timeoutSeconds * 1000,
        hold: e.hold,
      });
    }
  }
}

/** kind: approval means "dry-run executor, every plan waits for a person". */
export function effectiveConfig(cfg: SchedulerConfig): SchedulerConfig {
  return cfg.executor.kind === 'approval' ? { ...cfg, requireApproval: true } : cfg;
}

export function createSinks(cfg: SchedulerConfig): Sink[] {
  const r = cfg.record;
  const sinks: Sink[] = [];
  if (r.grafana) {
    sinks.push(
      new GrafanaSink(
        r.grafana.url,
        r.grafana.token ? readSecret(r.grafana.token, 'record.grafana.token') : undefined,
        r.grafana.dashboardUID,
        r.timeoutMs,
      ),
    );
  }
  if (r.alertmanager) sinks.push(new AlertmanagerSink(r.alertmanager.url, r.timeoutMs));
  if (r.webhook) {
    sinks.push(
      new WebhookSink(
        r.webhook.url,
        r.webhook.secret ? readSecret(r.webhook.secret, 'record.webhook.secret') : undefined,
        r.timeoutMs,
      ),
    );
  }
  return sinks;
}
