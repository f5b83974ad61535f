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

/** Chunks keyed by auto-increment (the FIFO order), and a small meta store. */
const SCHEMA: Record<string, IDBObjectStoreParameters> = { chunks: { keyPath: 'id', autoIncrement: true }, meta: { keyPath: 'key' } };
const STORES = Object.keys(SCHEMA);

/**
 * Opens the database at whatever version it has now (another tab may have upgraded it), adding
 * the stores if they are missing. `onGone` hears when the connection must be or was closed.
 */
async function connect(name: string, onGone: () => void, version?: number): Promise<IDBDatabase> {
  const request = indexedDB.open(name, version);
  request.onupgradeneeded = () => {
    for (const s of STORES) request.result.objectStoreNames.contains(s) || request.result.createObjectStore(s, SCHEMA[s]);
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

const metaValue = async <T>(meta: IDBObjectStore, key: string) => ((await result(meta.get(key))) as { value: T } | undefined)?.value;
const countOf = async (meta: IDBObjectStore) => (await metaValue<number>(meta, COUNT)) ?? 0;

/** Visits the chunks oldest first while `more()` says so. */
async function walk(chunks: IDBObjectStore, more: () => boolean, visit: (chunk: Chunk, cursor: IDBCursorWithValue) => unknown): Promise<void> {
  const request = chunks.openCursor();
  for (let cursor; more() && (cursor = await result(request)); cursor.continue()) await visit(cursor.value as Chunk, cursor);
}

const withChunk = (events: NewRecord[], chunk: number): QueueRecord[] => events.map((e) => ({ ...e, chunk }));

/**
 * The IndexedDB queue. A connection closed under it is opened again on the next operation; an
 * operation that the closing aborted (nothing of it was committed) runs once more on the new
 * connection.
 */
export async function openIdbStore(writeKey: string): Promise<QueueStore> {
  let db: Promise<IDBDatabase> | undefined;
  let closed = false;

  /** Runs `fn` in one transaction over both stores and settles when it has committed. */
  const run = async <T>(mode: IDBTransactionMode, fn: (chunks: IDBObjectStore, meta: IDBObjectStore) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      if (closed) throw new Error('the queue is closed');
      const conn = (db ??= connect(`ferry-${writeKey}`, () => {
        if (db === conn) db = undefined;
      }));
      try {
        const tx = (await conn).transaction(STORES, mode);
        const done = committed(tx);
        const out = await fn(tx.objectStore('chunks'), tx.objectStore('meta'));
        await done;
        return out;
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (attempt || (name !== 'InvalidStateError' && name !== 'AbortError')) throw err;
        if (db === conn) db = undefined;
      }
    }
  };

  const store: QueueStore = {
    kind: 'indexeddb',
    append: (records, maxEvents) =>
      run('readwrite', async (chunks, meta): Promise<AppendResult> => {
        const stored: QueueRecord[] = [];
        const adds: Array<Promise<unknown>> = [];
        for (let i = 0; i < records.length; i += CHUNK_EVENTS) {
          const events = records.slice(i, i + CHUNK_EVENTS);
          // add() on an auto-increment store without an id assigns the next key.
          adds.push(result(chunks.add({ events })).then((id) => stored.push(...withChunk(events, id as number))));
        }
        let count = (await countOf(meta)) + records.length;
        await Promise.all(adds);
        const evicted: QueueRecord[] = [];
        await walk(chunks, () => count > maxEvents, ({ id, events }, cursor) => {
          const n = Math.min(events.length, count - maxEvents);
          evicted.push(...withChunk(events.slice(0, n), id));
          count -= n;
          return result((n === events.length ? cursor.delete() : cursor.update({ id, events: events.slice(n) })) as IDBRequest);
        });
        meta.put({ key: COUNT, value: count });
        return { stored, evicted };
      }),
    oldest: (limit) =>
      run('readonly', async (chunks) => {
        const out: QueueRecord[] = [];
        await walk(chunks, () => out.length < limit, ({ id, events }) => out.push(...withChunk(events.slice(0, limit - out.length), id)));
        return out;
      }),
    async remove(records) {
      if (!records.length) return;
      // Local ids are unique in the profile: one set serves every chunk.
      const ids = new Set(records.map((r) => r.id));
      await run('readwrite', async (chunks, meta) => {
        let removed = 0;
        for (const id of new Set(records.map((r) => r.chunk))) {
          const chunk = (await result(chunks.get(id))) as Chunk | undefined;
          // Another tab (or a page-hide send) may have removed it already.
          if (!chunk) continue;
          const events = chunk.events.filter((e) => !ids.has(e.id));
          removed += chunk.events.length - events.length;
          if (events.length) chunks.put({ id, events });
          else chunks.delete(id);
        }
        meta.put({ key: COUNT, value: Math.max(0, (await countOf(meta)) - removed) });
      });
    },
    count: () => run('readonly', (_, meta) => countOf(meta)),
    getMeta: <T>(key: string) => run('readonly', (_, meta) => metaValue<T>(meta, key)),
    setMeta: (key, value) => run('readwrite', async (_, meta) => void meta.put({ key, value })),
    close() {
      closed = true;
      void db?.then((d) => d.close(), () => undefined);
    },
  };
  try {
    // Opening can succeed where writing fails (storage blocked): prove a write works. (The timer
    // is left to fire: rejecting a settled race does nothing.)
    await Promise.race([store.setMeta('probe', Date.now()), new Promise((_, reject) => setTimeout(reject, OPEN_TIMEOUT_MS, new Error('IndexedDB open timed out')))]);
    return store;
  } catch (err) {
    store.close();
    throw err;
  }
}
