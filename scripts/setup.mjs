#!/usr/bin/env node
// Makes sure what `npm test` needs outside npm is here: Chromium for the Playwright tests.
// Installs Debian's chromium with apt-get when missing and possible; otherwise says what to do.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function run(cmd) {
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

if (!existsSync(chromium)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? '' : 'sudo ';
  console.log(`[setup] ${chromium} is missing: installing Debian's chromium`);
  try {
    run(`${sudo}apt-get update -qq`);
    run(`${sudo}apt-get install -y -qq chromium`);
  } catch {
    console.error(`[setup] could not install Chromium. Install it with:\n  apt-get update && apt-get install -y chromium\nor point CHROMIUM_PATH at a Chromium binary.`);
    process.exit(1);
  }
}
console.log(`[setup] chromium: ${execSync(`${chromium} --version`, { encoding: 'utf8' }).trim()}`);
