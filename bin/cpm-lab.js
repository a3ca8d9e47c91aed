#!/usr/bin/env node
// Launcher for the cpm-lab CLI. The TypeScript is compiled to dist/ by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write(`cpm-lab: ${entry} is missing; run \`npm run build\` (npm ci runs it for you)\n`);
  process.exit(1);
}
await import(pathToFileURL(entry).href);
