/**
 * `npm run build:dashboards`: writes every generated dashboard to dashboards/json/, the files
 * Grafana provisions (dashboards/provisioning/dashboards.yaml) and the app plugin bundles, and the
 * alert rules to dashboards/alerting/ (Grafana's alerting provisioning and a Prometheus rules file).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alertFiles, renderGrafanaAlerting } from './alerts/index.js';
import { buildDashboards, renderDashboardJson } from './generate.js';

const outDir = fileURLToPath(new URL('../json/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const dashboards = buildDashboards();
const keep = new Set(dashboards.map((d) => d.file));
// A dashboard removed from the generator must not linger as a provisioned file.
for (const f of readdirSync(outDir)) if (f.endsWith('.json') && !keep.has(f)) rmSync(`${outDir}${f}`);
for (const d of dashboards) {
  writeFileSync(`${outDir}${d.file}`, renderDashboardJson(d));
  console.log(`dashboards/json/${d.file}  ${d.title}`);
}

const alertDir = fileURLToPath(new URL('../alerting/', import.meta.url));
mkdirSync(alertDir, { recursive: true });
for (const a of alertFiles()) {
  writeFileSync(`${alertDir}${a.file}`, a.text);
  console.log(`dashboards/alerting/${a.file}`);
}
// The Grafana rules again where deploy/grafana/provisioning/ (the directory the README has Grafana
// read) keeps them, so that directory is complete by itself.
const deployAlerting = fileURLToPath(new URL('../../deploy/grafana/provisioning/alerting/', import.meta.url));
mkdirSync(deployAlerting, { recursive: true });
writeFileSync(`${deployAlerting}meridian-alert-rules.yaml`, renderGrafanaAlerting());
console.log('deploy/grafana/provisioning/alerting/meridian-alert-rules.yaml');
