import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

interface FerrySchema extends DBSchema {
  queue: { key: number; value: QueueRecord };
  meta: { key: string; value: { key: string; value: unknown } };
}

const DB_VERSION = 1;
/** Some WebKit builds never settle indexedDB.open in private mode: give up and fall back. */
const OPEN_TIMEOUT_MS = 3000;

/** IndexedDB backend: one object store keyed by auto-increment (the FIFO order). */
export class IdbStore implements QueueStore {
  readonly kind = 'indexeddb' as const;

  private constructor(private readonly db: IDBPDatabase<FerrySchema>) {}

  static async open(writeKey: string): Promise<IdbStore> {
    const opening = openDB<FerrySchema>(`ferry-${writeKey}`, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
        db.createObjectStore('meta', { keyPath: 'key' });
      },
      blocking() {
        // A newer version wants to upgrade in another tab: step aside.
        void opening.then((db) => db.close());
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('IndexedDB open timed out')), OPEN_TIMEOUT_MS);
    });
    try {
      const db = await Promise.race([opening, timeout]);
      // Opening can succeed where writing fails (storage blocked): prove a write works.
      const store = new IdbStore(db);
      await store.setMeta('probe', Date.now());
      return store;
    } finally {
      clearTimeout(timer);
    }
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const tx = this.db.transaction('queue', 'readwrite');
    // add() on an auto-increment store without an id assigns the next key; all requests
    // are issued before awaiting so a burst costs one round of the event loop.
    const ids = await Promise.all(records.map((r) => tx.store.add(r as QueueRecord)));
    const over = (await tx.store.count()) - maxEvents;
    const evicted = over > 0 ? await tx.store.getAll(undefined, over) : [];
    if (evicted.length > 0) await tx.store.delete(IDBKeyRange.bound(evicted[0]!.id, evicted.at(-1)!.id));
    await tx.done;
    return { ids, evicted };
  }

  // Through transactions rather than idb's db.get()/db.count() shortcuts: the build drops
  // idb's optional extras (shortcuts, async iterators) to keep the bundle small.
  async oldest(limit: number): Promise<QueueRecord[]> {
    return this.db.transaction('queue').store.getAll(undefined, limit);
  }

  async remove(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const tx = this.db.transaction('queue', 'readwrite');
    for (const id of ids) void tx.store.delete(id);
    await tx.done;
  }

  async count(): Promise<number> {
    return this.db.transaction('queue').store.count();
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const row = await this.db.transaction('meta').store.get(key);
    return row?.value as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    await Promise.all([tx.store.put({ key, value }), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
