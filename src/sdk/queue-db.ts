import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/**
 * A chunk is one task's worth of events (at most CHUNK_EVENTS): IndexedDB pays per request,
 * not per byte, so a 10,000-event burst is 20 records instead of 10,000.
 */
interface Chunk {
  id: number;
  events: NewRecord[];
}

interface FerrySchema extends DBSchema {
  chunks: { key: number; value: Chunk };
  meta: { key: string; value: { key: string; value: unknown } };
}

const CHUNK_EVENTS = 500;
/** The number of queued events, kept in the same transactions that change it. */
const COUNT = 'count';
/** Some WebKit builds never settle indexedDB.open in private mode: give up and fall back. */
const OPEN_TIMEOUT_MS = 3000;

function createStores(db: IDBPDatabase<FerrySchema>): void {
  if (!db.objectStoreNames.contains('chunks')) db.createObjectStore('chunks', { keyPath: 'id', autoIncrement: true });
  if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
}

/**
 * Opens the database at whatever version it has now (another tab may have upgraded it), adding
 * the stores if they are missing. `onGone` hears when the connection must be or was closed.
 */
async function connect(name: string, onGone: () => void): Promise<IDBPDatabase<FerrySchema>> {
  const callbacks = {
    upgrade: createStores,
    // A newer version wants to open (another tab, a new release): step aside, reopen later.
    blocking(_: number, __: number | null, event: IDBVersionChangeEvent) {
      onGone();
      (event.target as IDBDatabase).close();
    },
    // The browser closed the connection (storage pressure, the user clearing data).
    terminated: onGone,
  };
  const db = await openDB<FerrySchema>(name, undefined, callbacks);
  if (db.objectStoreNames.contains('chunks') && db.objectStoreNames.contains('meta')) return db;
  db.close();
  return openDB<FerrySchema>(name, db.version + 1, callbacks);
}

/**
 * IndexedDB backend: chunks keyed by auto-increment (the FIFO order) and a small meta store.
 * A connection closed under it is opened again on the next operation; an operation that the
 * closing aborted (nothing of it was committed) runs once more on the new connection.
 */
export class IdbStore implements QueueStore {
  readonly kind = 'indexeddb' as const;
  #db: Promise<IDBPDatabase<FerrySchema>> | undefined;
  #closed = false;

  private constructor(private readonly name: string) {}

  static async open(writeKey: string): Promise<IdbStore> {
    const store = new IdbStore(`ferry-${writeKey}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('IndexedDB open timed out')), OPEN_TIMEOUT_MS);
    });
    try {
      // Opening can succeed where writing fails (storage blocked): prove a write works.
      await Promise.race([store.setMeta('probe', Date.now()), timeout]);
      return store;
    } catch (err) {
      store.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #run<T>(fn: (db: IDBPDatabase<FerrySchema>) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new Error('the queue is closed');
      const conn = (this.#db ??= connect(this.name, () => {
        if (this.#db === conn) this.#db = undefined;
      }));
      try {
        return await fn(await conn);
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (attempt > 0 || (name !== 'InvalidStateError' && name !== 'AbortError')) throw err;
        if (this.#db === conn) this.#db = undefined;
      }
    }
  }

  append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    return this.#run((db) => this.#append(db, records, maxEvents));
  }

  async #append(db: IDBPDatabase<FerrySchema>, records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const tx = db.transaction(['chunks', 'meta'], 'readwrite');
    const chunks = tx.objectStore('chunks');
    const meta = tx.objectStore('meta');
    const stored: QueueRecord[] = [];
    const adds: Array<Promise<unknown>> = [];
    for (let i = 0; i < records.length; i += CHUNK_EVENTS) {
      const events = records.slice(i, i + CHUNK_EVENTS);
      // add() on an auto-increment store without an id assigns the next key.
      adds.push(chunks.add({ events } as Chunk).then((id) => stored.push(...events.map((e) => ({ ...e, chunk: id })))));
    }
    let count = (((await meta.get(COUNT))?.value as number | undefined) ?? 0) + records.length;
    await Promise.all(adds);
    const evicted: QueueRecord[] = [];
    let cursor = count > maxEvents ? await chunks.openCursor() : null;
    while (cursor && count > maxEvents) {
      const { id, events } = cursor.value;
      const n = Math.min(events.length, count - maxEvents);
      evicted.push(...events.slice(0, n).map((e) => ({ ...e, chunk: id })));
      count -= n;
      await (n === events.length ? cursor.delete() : cursor.update({ id, events: events.slice(n) }));
      cursor = await cursor.continue();
    }
    await meta.put({ key: COUNT, value: count });
    await tx.done;
    return { stored, evicted };
  }

  oldest(limit: number): Promise<QueueRecord[]> {
    return this.#run(async (db) => {
      const out: QueueRecord[] = [];
      let cursor = await db.transaction('chunks').store.openCursor();
      while (cursor && out.length < limit) {
        const { id, events } = cursor.value;
        for (const e of events.slice(0, limit - out.length)) out.push({ ...e, chunk: id });
        cursor = await cursor.continue();
      }
      return out;
    });
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    if (records.length) await this.#run((db) => this.#remove(db, records));
  }

  async #remove(db: IDBPDatabase<FerrySchema>, records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    const byChunk = new Map<number, Set<string>>();
    for (const r of records) {
      let set = byChunk.get(r.chunk);
      if (!set) byChunk.set(r.chunk, (set = new Set()));
      set.add(r.id);
    }
    const tx = db.transaction(['chunks', 'meta'], 'readwrite');
    const chunks = tx.objectStore('chunks');
    let removed = 0;
    for (const [id, gone] of byChunk) {
      const chunk = await chunks.get(id);
      // Another tab (or a page-hide send) may have removed it already.
      if (!chunk) continue;
      const events = chunk.events.filter((e) => !gone.has(e.id));
      removed += chunk.events.length - events.length;
      await (events.length ? chunks.put({ id, events }) : chunks.delete(id));
    }
    const meta = tx.objectStore('meta');
    const count = ((await meta.get(COUNT))?.value as number | undefined) ?? 0;
    await meta.put({ key: COUNT, value: Math.max(0, count - removed) });
    await tx.done;
  }

  async count(): Promise<number> {
    return ((await this.getMeta<number>(COUNT)) ?? 0);
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.#run(async (db) => (await db.transaction('meta').store.get(key))?.value as T | undefined);
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.#run(async (db) => {
      const tx = db.transaction('meta', 'readwrite');
      await Promise.all([tx.store.put({ key, value }), tx.done]);
    });
  }

  close(): void {
    this.#closed = true;
    void this.#db?.then((db) => db.close(), () => undefined);
  }
}
