import { createHash } from 'node:crypto';
import pg from 'pg';
import { createDatabase, startPostgres, type RunningPostgres } from './postgres-cluster.mjs';

export { createDatabase, postgresBin, startPostgres, type RunningPostgres } from './postgres-cluster.mjs';

/**
 * PostgreSQL for the suites: the cluster itself comes from postgres-cluster.mjs (shared with the
 * benches). This file is the globalSetup of the vitest project `postgres` (vitest.config.ts): one
 * cluster for the whole run, its URL in FERRY_TEST_PG_URL; each ferry process gets a schema of its
 * own (databaseFor, used by ferry-process.ts).
 */

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
