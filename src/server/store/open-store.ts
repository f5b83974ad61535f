import { existsSync } from 'node:fs';
import type { ServerConfig } from '../config.js';
import { PostgresStore } from './postgres-store.js';
import type { PartitionEvents } from './router-partitions.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';
import { WorkerStore } from './worker-store.js';

/**
 * The store named by the config. PostgreSQL runs inline (its work is on the database server's
 * side of a socket). In the built server SQLite runs in a worker thread (see store-worker.ts);
 * from sources (unit tests) it runs inline.
 */
export async function openStore(config: Readonly<ServerConfig>, partitionEvents?: PartitionEvents): Promise<Store> {
  if (config.store.kind === 'postgres') {
    return PostgresStore.open({
      url: config.store.url,
      poolSize: config.store.poolSize,
      connectTimeoutMs: config.store.connectTimeoutMs,
      routing: config.role !== 'ingest',
      partitionLeaseMs: config.router.partitionLeaseMs,
      partitionEvents,
    });
  }
  const worker = new URL('./store-worker.js', import.meta.url);
  if (existsSync(worker)) return WorkerStore.open(worker, config.dataDir);
  return new SqliteStore(config.dataDir);
}
