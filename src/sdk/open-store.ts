import { openIdbStore } from './queue-db.js';
import { memoryStore } from './queue-memory.js';
import type { QueueStore } from './queue-store.js';

export interface FallbackInfo {
  from: string;
  to: string;
  reason: string;
}

/**
 * Fetches the localStorage queue, a chunk of its own: only pages where IndexedDB fails need it.
 * Events tracked meanwhile wait in the WriteQueue's buffer, in order.
 */
export type KvLoader = () => Promise<typeof import('./queue-kv.js')>;

/**
 * IndexedDB, else localStorage, else memory. Each step down is reported through
 * `onFallback`, so a page never loses durability without being told. Memory is also where a
 * page lands when the localStorage chunk cannot be fetched (offline, not cached): it still
 * sends, and `onFallback` gives the fetch's error as the reason.
 */
export async function openStore(
  writeKey: string,
  preference: 'auto' | 'localStorage' | 'memory',
  onFallback: (info: FallbackInfo) => void,
  loadKv?: KvLoader,
): Promise<QueueStore> {
  let reason = '';
  if (preference === 'auto') {
    try {
      // Where indexedDB is missing, its first use throws "ReferenceError: indexedDB is not defined".
      return await openIdbStore(writeKey);
    } catch (err) {
      reason = String(err);
    }
  }
  if (preference !== 'memory') {
    try {
      if (!loadKv) throw new Error('no localStorage queue in this build');
      const store = (await loadKv()).localStorageStore(writeKey);
      if (preference === 'auto') onFallback({ from: 'indexeddb', to: 'localStorage', reason });
      return store;
    } catch (err) {
      reason = reason ? `${reason}; ${String(err)}` : String(err);
    }
  }
  const from = preference === 'auto' ? 'indexeddb' : preference;
  if (preference !== 'memory') onFallback({ from, to: 'memory', reason });
  return memoryStore();
}
