import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/**
 * A chunk is one task's worth of events (at most CHUNK_EVENTS): IndexedDB pays per request,
 * not per byte, so a 10,000-event burst is 20 records instead of 10,000.
 */
interface Chunk {
  id: number;
  events: NewRecord[];
}

const CHUNK_EVENTS = 500;
/** The number of queued events, kept in the same transactions that change it. */
const COUNT = 'count';
/** Some WebKit builds never settle indexedDB.open in private mode: give up and fall back. */
const OPEN_TIMEOUT_MS = 3000;

/**
 * A request's result as a promise. Awaiting it keeps the transaction alive: the continuation
 * runs in the microtask after the success event, before the transaction can auto-commit (what
 * the idb library relies on too; Ferry needs only these few lines of it).
 */
function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Settles when the transaction commits; rejects when it aborts. */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

const STORES = ['chunks', 'meta'] as const;

/**
 * Opens the database at whatever version it has now (another tab may have upgraded it), adding
 * the stores if they are missing. `onGone` hears when the connection must be or was closed.
 */
async function connect(name: string, onGone: () => void, version?: number): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('chunks')) db.createObjectStore('chunks', { keyPath: 'id', autoIncrement: true });
    if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
  };
  const db = await result(request);
  if (STORES.some((s) => !db.objectStoreNames.contains(s))) {
    db.close();
    return connect(name, onGone, db.version + 1);
  }
  // A newer version wants to open (another tab, a new release): step aside, reopen later.
  db.onversionchange = () => {
    onGone();
    db.close();
  };
  // The browser closed the connection (storage pressure, the user clearing data).
  db.onclose = onGone;
  return db;
}

/**
 * IndexedDB backend: chunks keyed by auto-increment (the FIFO order) and a small meta store.
 * A connection closed under it is opened again on the next operation; an operation that the
 * closing aborted (nothing of it was committed) runs once more on the new connection.
 */
export class IdbStore implements QueueStore {
  readonly kind = 'indexeddb' as const;
  readonly #name: string;
  #db: Promise<IDBDatabase> | undefined;
  #closed = false;

  private constructor(name: string) {
    this.#name = name;
  }

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

  /** Runs `fn` in one transaction over both stores and settles when it has committed. */
  async #run<T>(mode: IDBTransactionMode, fn: (chunks: IDBObjectStore, meta: IDBObjectStore) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new Error('the queue is closed');
      const conn = (this.#db ??= connect(this.#name, () => {
        if (this.#db === conn) this.#db = undefined;
      }));
      try {
        const tx = (await conn).transaction(STORES, mode);
        const done = committed(tx);
        const out = await fn(tx.objectStore('chunks'), tx.objectStore('meta'));
        await done;
        return out;
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (attempt > 0 || (name !== 'InvalidStateError' && name !== 'AbortError')) throw err;
        if (this.#db === conn) this.#db = undefined;
      }
    }
  }

  append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    return this.#run('readwrite', async (chunks, meta) => {
      const stored: QueueRecord[] = [];
      const adds: Array<Promise<unknown>> = [];
      for (let i = 0; i < records.length; i += CHUNK_EVENTS) {
        const events = records.slice(i, i + CHUNK_EVENTS);
        // add() on an auto-increment store without an id assigns the next key.
        adds.push(result(chunks.add({ events })).then((id) => stored.push(...events.map((e) => ({ ...e, chunk: id as number })))));
      }
      let count = (await count$(meta)) + records.length;
      await Promise.all(adds);
      const evicted: QueueRecord[] = [];
      if (count > maxEvents) {
        const request = chunks.openCursor();
        let cursor = await result(request);
        while (cursor && count > maxEvents) {
          const { id, events } = cursor.value as Chunk;
          const n = Math.min(events.length, count - maxEvents);
          evicted.push(...events.slice(0, n).map((e) => ({ ...e, chunk: id })));
          count -= n;
          await result((n === events.length ? cursor.delete() : cursor.update({ id, events: events.slice(n) })) as IDBRequest);
          cursor.continue();
          cursor = await result(request);
        }
      }
      meta.put({ key: COUNT, value: count });
      return { stored, evicted };
    });
  }

  oldest(limit: number): Promise<QueueRecord[]> {
    return this.#run('readonly', async (chunks) => {
      const out: QueueRecord[] = [];
      const request = chunks.openCursor();
      let cursor = await result(request);
      while (cursor && out.length < limit) {
        const { id, events } = cursor.value as Chunk;
        for (const e of events.slice(0, limit - out.length)) out.push({ ...e, chunk: id });
        cursor.continue();
        cursor = await result(request);
      }
      return out;
    });
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    if (!records.length) return;
    const byChunk = new Map<number, Set<string>>();
    for (const r of records) {
      let set = byChunk.get(r.chunk);
      if (!set) byChunk.set(r.chunk, (set = new Set()));
      set.add(r.id);
    }
    await this.#run('readwrite', async (chunks, meta) => {
      let removed = 0;
      for (const [id, gone] of byChunk) {
        const chunk = (await result(chunks.get(id))) as Chunk | undefined;
        // Another tab (or a page-hide send) may have removed it already.
        if (!chunk) continue;
        const events = chunk.events.filter((e) => !gone.has(e.id));
        removed += chunk.events.length - events.length;
        if (events.length) chunks.put({ id, events });
        else chunks.delete(id);
      }
      meta.put({ key: COUNT, value: Math.max(0, (await count$(meta)) - removed) });
    });
  }

  async count(): Promise<number> {
    return (await this.getMeta<number>(COUNT)) ?? 0;
  }

  getMeta<T>(key: string): Promise<T | undefined> {
    return this.#run('readonly', async (_, meta) => ((await result(meta.get(key))) as { value: T } | undefined)?.value);
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.#run('readwrite', async (_, meta) => void meta.put({ key, value }));
  }

  close(): void {
    this.#closed = true;
    void this.#db?.then((db) => db.close(), () => undefined);
  }
}

async function count$(meta: IDBObjectStore): Promise<number> {
  return ((await result(meta.get(COUNT))) as { value: number } | undefined)?.value ?? 0;
}
