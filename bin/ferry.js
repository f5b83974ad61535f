#!/usr/bin/env node
import { existsSync } from 'node:fs';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(cli)) {
  // A checkout whose install skipped the `prepare` script (npm install --ignore-scripts).
  process.stderr.write('ferry: the build is missing (dist/). Run `npm run build` in the package first.\n');
  process.exit(1);
}
await import(cli.href);
