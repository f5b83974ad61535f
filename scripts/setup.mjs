#!/usr/bin/env node
// Makes sure what `npm test` needs outside npm is here: Chromium for the Playwright tests, and
// strace for G4's proof (test/server/durability-fsync.test.ts traces the server's fsyncs).
// Installs Debian's chromium and strace with apt-get when missing and possible; otherwise says what to do.
import { existsSync } from 'node:fs';
import { execSync, spawnSync } from 'node:child_process';

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

// strace: G4's proof fails, on purpose, where it cannot run; CI must run it.
const strace = process.env.STRACE_PATH ?? 'strace';
const straceVersion = () => spawnSync(strace, ['-V'], { encoding: 'utf8' });
if (straceVersion().error) {
  const sudo = typeof process.getuid === 'function' && process.getuid() === 0 ? '' : 'sudo ';
  console.log(`[setup] ${strace} is missing: installing Debian's strace`);
  try {
    run(`${sudo}apt-get update -qq`);
    run(`${sudo}apt-get install -y -qq strace`);
  } catch {
    console.error(`[setup] could not install strace. Install it with:\n  apt-get update && apt-get install -y strace\nor point STRACE_PATH at a strace binary.`);
    process.exit(1);
  }
}
console.log(`[setup] strace: ${straceVersion().stdout.split('\n')[0]}`);
