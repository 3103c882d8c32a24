// Checks on the plugin's metadata and build output that Grafana's plugin validator would make, runnable
// offline: plugin.json against the vendored schema, the id naming rule, app-plugin rules for routes and
// RBAC, and that every path plugin.json names exists in dist/.
import Ajv from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PLUGIN_ROOT = path.resolve(here, '..');
export const DIST = path.join(PLUGIN_ROOT, 'dist');

/** plugin-tools metadata.md: <org>-<name>-<type>, letters and digits only in each part. */
export const ID_RULE = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;

/** The route segments the app renders, read from src/constants.ts's ROUTES enum (the single source). */
export function appRoutes() {
  const src = fs.readFileSync(path.join(PLUGIN_ROOT, 'src', 'constants.ts'), 'utf8');
  const body = /export enum ROUTES \{([^}]*)\}/.exec(src)?.[1];
  if (!body) throw new Error('src/constants.ts: no `export enum ROUTES { ... }` found');
  return [...body.matchAll(/=\s*'([^']+)'/g)].map((m) => m[1]);
}

let validator;
function schemaValidator() {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(path.join(PLUGIN_ROOT, 'schema', 'plugin.schema.json'), 'utf8'));
    // Formats are not checked (no ajv-formats); URL fields carry a pattern instead. Grafana's patterns
    // escape '-' outside classes, which the u flag rejects: compile them as plain RegExps.
    validator = new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false }).compile(
      schema,
    );
  }
  return validator;
}

/** Schema errors as "path: message" strings; empty when valid. */
export function schemaErrors(pluginJson) {
  const validate = schemaValidator();
  if (validate(pluginJson)) return [];
  return validate.errors.map(
    (e) =>
      `${e.instancePath || '/'}: ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`,
  );
}

/** Rules the schema cannot express, from the app-plugin docs (routes, RBAC). */
export function appRuleErrors(pluginJson) {
  const errors = [];
  if (!ID_RULE.test(pluginJson.id)) errors.push(`id: "${pluginJson.id}" does not match ${ID_RULE}`);
  if (pluginJson.type === 'app' && !pluginJson.id.endsWith('-app'))
    errors.push(`id: an app plugin id must end in -app`);
  for (const [i, r] of (pluginJson.routes ?? []).entries()) {
    if (r.urlParams || r.tokenAuth)
      errors.push(`routes[${i}] (${r.path}): app plugins support neither urlParams nor tokenAuth`);
    if (!/^https?:\/\/|^\{\{ \.JsonData\.[A-Za-z]+ \}\}/.test(r.url))
      errors.push(`routes[${i}] (${r.path}): url must be http(s) or start with a jsonData template`);
    if (r.reqAction && !r.reqAction.startsWith(`${pluginJson.id}.`))
      errors.push(`routes[${i}].reqAction: "${r.reqAction}" must start with the plugin id`);
  }
  for (const [i, inc] of (pluginJson.includes ?? []).entries()) {
    if (inc.action && !inc.action.startsWith(`${pluginJson.id}.`))
      errors.push(`includes[${i}].action: "${inc.action}" must start with the plugin id`);
  }
  for (const [i, r] of (pluginJson.roles ?? []).entries()) {
    for (const p of r.role.permissions) {
      const ok =
        p.action.startsWith(`${pluginJson.id}.`) ||
        (p.action === 'plugins.app:access' && p.scope === `plugins:id:${pluginJson.id}`);
      if (!ok) errors.push(`roles[${i}] (${r.role.name}): action "${p.action}" must start with the plugin id`);
    }
  }
  const defaults = (pluginJson.includes ?? []).filter((x) => x.defaultNav);
  if (defaults.length !== 1) errors.push(`includes: exactly one include must be defaultNav (found ${defaults.length})`);
  return errors;
}

/**
 * Every path plugin.json names must resolve: logos and dashboards as files in `distDir`, app pages as
 * routes the app renders (`/a/<id>/<route>`), and the config link as Grafana's plugin page.
 */
export function unresolvedPaths(pluginJson, distDir, appRoutes) {
  const missing = [];
  const file = (p, what) => {
    if (!fs.existsSync(path.join(distDir, p))) missing.push(`${what}: ${p} is not in ${path.basename(distDir)}/`);
  };
  file(pluginJson.info.logos.small, 'info.logos.small');
  file(pluginJson.info.logos.large, 'info.logos.large');
  for (const s of pluginJson.info.screenshots ?? []) file(s.path, `info.screenshots ${s.name}`);
  for (const inc of pluginJson.includes ?? []) {
    if (inc.type === 'dashboard') {
      file(inc.path, `includes "${inc.name}"`);
      continue;
    }
    const appPrefix = `/a/${pluginJson.id}/`;
    if (inc.path.startsWith(appPrefix)) {
      const route = inc.path.slice(appPrefix.length).split('/')[0];
      if (!appRoutes.includes(route))
        missing.push(`includes "${inc.name}": route ${route} is not one the app renders (${appRoutes.join(', ')})`);
    } else if (inc.path !== `/plugins/${pluginJson.id}`) {
      missing.push(`includes "${inc.name}": ${inc.path} is neither an app page nor the plugin's config page`);
    }
  }
  return missing;
}
