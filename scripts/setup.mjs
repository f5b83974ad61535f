#!/usr/bin/env node
// Makes sure what `npm test` needs outside npm is here: Chromium (Playwright tests), strace for
// G4's proof (test/server/durability-fsync.test.ts traces the server's fsyncs), and for the
// engine suite Firefox ESR, WebKitGTK's WebDriver with its MiniBrowser, and Xvfb (MiniBrowser has
// no headless mode), and PostgreSQL's server programs (the suites run against both stores:
// test/helpers/postgres.ts starts a cluster of its own with initdb and pg_ctl). Installs Debian's packages with apt-get when missing and possible; otherwise
// says exactly what is missing and how to install it, and fails.
import { existsSync, readdirSync } from 'node:fs';
import { execSync } from 'node:child_process';

const needs = [
  { what: 'Chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', pkg: 'chromium', version: (p) => execSync(`${p} --version`, { encoding: 'utf8' }) },
  { what: 'strace', path: process.env.STRACE_PATH ?? '/usr/bin/strace', pkg: 'strace', version: (p) => execSync(`${p} -V`, { encoding: 'utf8' }).split('\n')[0] },
  { what: 'Firefox ESR', path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', pkg: 'firefox-esr', version: (p) => execSync(`${p} --version`, { encoding: 'utf8' }) },
  { what: 'WebKitWebDriver', path: process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver', pkg: 'webkit2gtk-driver', version: () => execSync(`dpkg-query -W -f='WebKitGTK \${Version}' libwebkit2gtk-4.1-0`, { encoding: 'utf8' }) },
  { what: 'MiniBrowser', path: process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', pkg: 'webkit2gtk-driver', version: () => '' },
  { what: 'Xvfb', path: '/usr/bin/Xvfb', pkg: 'xvfb', version: () => '' },
  { what: 'PostgreSQL', path: process.env.PG_BIN ? `${process.env.PG_BIN}/initdb` : postgresInitdb(), pkg: 'postgresql', version: (p) => execSync(`${p} --version`, { encoding: 'utf8' }) },
];

/** Debian installs the server programs under /usr/lib/postgresql/<major>/bin, outside PATH. */
function postgresInitdb() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.length > 0 ? `${root}/${versions[0]}/bin/initdb` : `${root}/<version>/bin/initdb`;
}

function run(cmd) {
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const missing = needs.filter((n) => !existsSync(n.path));
// Found after the install (its path names the version).
const refresh = () => Object.assign(needs.find((n) => n.pkg === 'postgresql'), { path: process.env.PG_BIN ? `${process.env.PG_BIN}/initdb` : postgresInitdb() });
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? '' : 'sudo ';
  console.log(`[setup] missing: ${missing.map((n) => `${n.what} (${n.path})`).join(', ')}; installing ${pkgs.join(' ')}`);
  try {
    run(`${sudo}apt-get update -qq`);
    run(`${sudo}apt-get install -y -qq ${pkgs.join(' ')}`);
  } catch {
    // Fall through: the check below names what is still missing.
  }
  refresh();
  const still = needs.filter((n) => !existsSync(n.path));
  if (still.length > 0) {
    console.error(`[setup] could not install what the tests need. Still missing:\n${still.map((n) => `  ${n.what}: ${n.path} (Debian package ${n.pkg})`).join('\n')}\nInstall with:\n  apt-get update && apt-get install -y ${[...new Set(still.map((n) => n.pkg))].join(' ')}\nor point CHROMIUM_PATH / STRACE_PATH / FIREFOX_PATH / WEBKIT_DRIVER_PATH / MINIBROWSER_PATH / PG_BIN (the folder of initdb) at the binaries.`);
    process.exit(1);
  }
}
for (const n of needs) {
  const v = n.version(n.path).trim();
  if (v) console.log(`[setup] ${n.what}: ${v}`);
}
