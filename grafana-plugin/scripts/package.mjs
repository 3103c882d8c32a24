#!/usr/bin/env node
// npm run package: zips dist/ as meridian-fabric-app-<version>.zip with the single top-level folder
// named after the plugin id, the layout `grafana cli plugins install --pluginUrl` and unzipping into
// Grafana's plugins directory both expect. Refuses to package a build that fails the metadata checks.
import JSZip from 'jszip';
import fs from 'node:fs';
import path from 'node:path';
import { appRuleErrors, DIST, PLUGIN_ROOT, schemaErrors } from './checks.mjs';

export async function packagePlugin({ distDir = DIST, outDir = PLUGIN_ROOT } = {}) {
  const pluginJsonPath = path.join(distDir, 'plugin.json');
  if (!fs.existsSync(pluginJsonPath))
    throw new Error(`${pluginJsonPath} is missing: run \`npm run build -w grafana-plugin\` first`);
  const pluginJson = JSON.parse(fs.readFileSync(pluginJsonPath, 'utf8'));
  const errors = [...schemaErrors(pluginJson), ...appRuleErrors(pluginJson)];
  if (/%VERSION%|%TODAY%|%PLUGIN_ID%/.test(JSON.stringify(pluginJson)))
    errors.push('plugin.json still holds %VERSION%/%TODAY%/%PLUGIN_ID% placeholders');
  if (!fs.existsSync(path.join(distDir, 'module.js'))) errors.push('module.js is missing');
  if (errors.length) throw new Error(`dist/plugin.json fails the plugin checks:\n  ${errors.join('\n  ')}`);

  const zip = new JSZip();
  const root = zip.folder(pluginJson.id);
  const walk = (dir, rel) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(abs, r);
      // A fixed date keeps the zip byte-identical for identical builds.
      else root.file(r, fs.readFileSync(abs), { date: new Date(Date.UTC(1980, 0, 2)) });
    }
  };
  walk(distDir, '');
  const out = path.join(outDir, `${pluginJson.id}-${pluginJson.info.version}.zip`);
  const buf = await zip.generateAsync({
    type: 'nodebuffer',
    compression: 'DEFLATE',
    compressionOptions: { level: 9 },
    platform: 'UNIX',
  });
  fs.writeFileSync(out, buf);
  return { file: out, bytes: buf.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  packagePlugin().then(
    ({ file, bytes }) => console.log(`${path.relative(process.cwd(), file)} (${bytes} bytes)`),
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
