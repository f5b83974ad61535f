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

const DB_VERSION = 1;
const CHUNK_EVENTS = 500;
/** The number of queued events, kept in the same transactions that change it. */
const COUNT = 'count';
/** Some WebKit builds never settle indexedDB.open in private mode: give up and fall back. */
const OPEN_TIMEOUT_MS = 3000;

/** IndexedDB backend: chunks keyed by auto-increment (the FIFO order) and a small meta store. */
export class IdbStore implements QueueStore {
  readonly kind = 'indexeddb' as const;

  private constructor(private readonly db: IDBPDatabase<FerrySchema>) {}

  static async open(writeKey: string): Promise<IdbStore> {
    const opening = openDB<FerrySchema>(`ferry-${writeKey}`, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('chunks', { keyPath: 'id', autoIncrement: true });
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
      const store = new IdbStore(db);
      // Opening can succeed where writing fails (storage blocked): prove a write works.
      await store.setMeta('probe', Date.now());
      return store;
    } finally {
      clearTimeout(timer);
    }
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const tx = this.db.transaction(['chunks', 'meta'], 'readwrite');
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

  async oldest(limit: number): Promise<QueueRecord[]> {
    const out: QueueRecord[] = [];
    let cursor = await this.db.transaction('chunks').store.openCursor();
    while (cursor && out.length < limit) {
      const { id, events } = cursor.value;
      for (const e of events.slice(0, limit - out.length)) out.push({ ...e, chunk: id });
      cursor = await cursor.continue();
    }
    return out;
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    if (records.length === 0) return;
    const byChunk = new Map<number, Set<string>>();
    for (const r of records) {
      let set = byChunk.get(r.chunk);
      if (!set) byChunk.set(r.chunk, (set = new Set()));
      set.add(r.id);
    }
    const tx = this.db.transaction(['chunks', 'meta'], 'readwrite');
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
