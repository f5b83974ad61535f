import type { ServerConfig } from '../config.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** The store named by the config. SQLite is the embedded backend; the Store interface is what a PostgreSQL backend implements. */
export async function openStore(config: Readonly<ServerConfig>): Promise<Store> {
  return new SqliteStore(config.dataDir);
}
