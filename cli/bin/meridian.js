#!/usr/bin/env node
// A stable entry point that exists before the TypeScript build, so npm can link the bin at install time.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('meridian: not built yet. Run `npm run build` (or `npm start`) in the Meridian checkout first.');
  process.exit(1);
}
await import(main.href);
