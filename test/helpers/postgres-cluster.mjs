// A real PostgreSQL for tests and benches (plain JS so that bench/*.mjs can use it too; its types
// are in postgres-cluster.d.mts): Debian's `postgresql` package (scripts/setup.mjs and .ci/run
// install it), a cluster made by initdb in a temporary directory, served by pg_ctl on a free port
// of 127.0.0.1, removed by stop(). PostgreSQL refuses to run as root: as root, the cluster belongs
// to the `postgres` user and every command runs as it (runuser).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export function postgresBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (`npm run setup` and .ci/run do it), or set PG_BIN');
  }
  return join(root, versions[0], 'bin');
}

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
function run(program, args) {
  const bin = join(postgresBin(), program);
  const [cmd, ...rest] = asRoot() ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
  return execFileSync(cmd, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPostgres(settings = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  if (asRoot()) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const dataDir = join(dir, 'data');
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const options = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: dir, max_connections: '300', ...settings };
  const optionLine = Object.entries(options).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  run('pg_ctl', ['-D', dataDir, '-o', optionLine, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    postmasterPid: () => Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function createDatabase(url, name) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    if (err?.code !== '42P04') throw err; // duplicate_database: a restart of the same server
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
