import { IdbStore } from './queue-db.js';
import { localStorageStore, memoryStore } from './queue-kv.js';
import type { QueueStore } from './queue-store.js';

export interface FallbackInfo {
  from: string;
  to: string;
  reason: string;
}

/**
 * IndexedDB, else localStorage, else memory. Each step down is reported through
 * `onFallback`, so a page never loses durability without being told.
 */
export async function openStore(
  writeKey: string,
  preference: 'auto' | 'localStorage' | 'memory',
  onFallback: (info: FallbackInfo) => void,
): Promise<QueueStore> {
  let reason = '';
  if (preference === 'auto') {
    try {
      // Where indexedDB is missing, its first use throws "ReferenceError: indexedDB is not defined".
      return await IdbStore.open(writeKey);
    } catch (err) {
      reason = String(err);
    }
  }
  if (preference !== 'memory') {
    try {
      const store = localStorageStore(writeKey);
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
