import { existsSync } from 'node:fs';
import type { ServerConfig } from '../config.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';
import { WorkerStore } from './worker-store.js';

/**
 * The store named by the config. In the built server SQLite runs in a worker thread (see
 * store-worker.ts); from sources (unit tests) it runs inline. The Store interface is what a
 * PostgreSQL backend would implement.
 */
export async function openStore(config: Readonly<ServerConfig>): Promise<Store> {
  const worker = new URL('./store-worker.js', import.meta.url);
  if (existsSync(worker)) return WorkerStore.open(worker, config.dataDir);
  return new SqliteStore(config.dataDir);
}
