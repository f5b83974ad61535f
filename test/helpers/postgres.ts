import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL for tests and benches: Debian's `postgresql` package (scripts/setup.mjs and
 * .ci/run install it), a cluster made by initdb in a temporary directory, served by pg_ctl on a
 * free port of 127.0.0.1, removed by stop(). PostgreSQL refuses to run as root: as root, the
 * cluster belongs to the `postgres` user and every command runs as it (runuser).
 *
 * vitest: this file is the globalSetup of the `postgres` project (vitest.config.ts): one cluster
 * for the whole run, its URL in FERRY_TEST_PG_URL; each ferry process gets a database of its own
 * (databaseFor, used by ferry-process.ts).
 */
export interface RunningPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  dataDir: string;
  /** The cluster's pids: the postmaster first (strace attaches to it). */
  postmasterPid(): number;
  stop(): Promise<void>;
}

export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) {
    throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql (`npm run setup` and .ci/run do it), or set PG_BIN');
  }
  return join(root, versions[0]!, 'bin');
}

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
function run(program: string, args: string[]): string {
  const bin = join(postgresBin(), program);
  const [cmd, ...rest] = asRoot() ? ['runuser', '-u', 'postgres', '--', bin, ...args] : [bin, ...args];
  return execFileSync(cmd!, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `settings`: extra server settings (`-c name=value`), e.g. { synchronous_commit: 'off' } to show G4's proof failing. */
export async function startPostgres(settings: Record<string, string> = {}): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  if (asRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const options = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    max_connections: '300',
    ...settings,
  };
  const optionLine = Object.entries(options).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  run('pg_ctl', ['-D', dataDir, '-o', optionLine, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    postmasterPid: () => Number(spawnSync('head', ['-1', join(dataDir, 'postmaster.pid')], { encoding: 'utf8' }).stdout.trim()),
    async stop() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The URL of database `name` on the cluster at `url`, created if it does not exist yet. */
export async function createDatabase(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // duplicate_database: a restart of the same server
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The store tests run against: FERRY_TEST_STORE=postgres in the vitest project `postgres`. */
export function testStore(): 'sqlite' | 'postgres' {
  return process.env.FERRY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * A ferry server's own schema in the run's database, named after its data directory (so a restart
 * finds it again): the URL selects it through search_path. A schema costs a few ms; a database
 * copies its template and syncs it (a second under load), for each of the suites' servers.
 */
export async function databaseFor(dataDir: string): Promise<string> {
  const url = process.env.FERRY_TEST_PG_URL;
  if (!url) throw new Error('FERRY_TEST_STORE=postgres but no FERRY_TEST_PG_URL: run through the vitest project "postgres" (its globalSetup starts the cluster)');
  const schema = `ferry_${createHash('sha256').update(dataDir).digest('hex').slice(0, 20)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

let cluster: RunningPostgres | undefined;

/** vitest globalSetup: one cluster for the whole run. */
export async function setup(): Promise<void> {
  cluster = await startPostgres();
  process.env.FERRY_TEST_PG_URL = await createDatabase(cluster.url, 'ferry_tests');
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
