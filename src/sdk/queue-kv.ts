import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/**
 * The part of the Storage interface the queue uses (localStorage, or a Map for memory), and a
 * way to hear the keys other tabs set (null value) or remove (null key: all cleared).
 */
type KeyValue = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & {
  keys(): Iterable<string>;
  watch?(fn: (key: string | null, value: string | null) => void): () => void;
};

/**
 * An event's key says everything the queue's order and size need, so that reading a batch or
 * removing one reads only those events: `<prefix><order>.<chars>.<id>`, the numbers in base 36.
 */
interface Slot {
  key: string;
  at: number;
  chars: number;
  id: string;
}

/**
 * localStorage's quota is about 5 M characters per origin, shared with the page's own data:
 * the queue keeps to 2 M, and still handles a full storage when the page took the rest.
 */
const MAX_CHARS = 2_000_000;

/** The write key's length first, so that no write key's keys start with another's prefix. */
const prefix = (writeKey: string) => `ferry_q_${writeKey.length}_${writeKey}_`;


/**
 * The synchronous backends (localStorage, memory): one key per event and one per meta value.
 * Tabs of an origin share localStorage but no lock around a read-modify-write, so nothing here
 * is ever read, changed and written back (a shared index was, and two tabs lost each other's
 * events): a page only adds keys of its own and removes keys. Each page reads the keys once into
 * an index of its own and keeps it in step with the other tabs' writes (the `storage` event).
 * Order: an event's order number is above every one the page knows, whatever the clock says
 * (it may step back across a reload), so each page's events follow the queue's older ones.
 * Beyond MAX_CHARS or the browser's quota the oldest events are evicted and reported; an event
 * that cannot be stored at all is reported too, never lost in silence.
 */
export class KeyValueStore implements QueueStore {
  readonly #kv: KeyValue;
  readonly #events: string;
  readonly #meta: string;
  /** The queued events, oldest first; read from the keys at first use. */
  #order: Slot[] | undefined;
  #chars = 0;
  readonly #unwatch?: () => void;

  constructor(readonly kind: 'localStorage' | 'memory', kv: KeyValue, writeKey: string) {
    this.#kv = kv;
    this.#events = prefix(writeKey) + 'e';
    this.#meta = prefix(writeKey) + 'm';
    this.#unwatch = kv.watch?.((key, value) => {
      // All cleared: read the keys again at next use.
      const slot = key === null ? (this.#order = undefined) : this.#order && this.#slot(key);
      if (slot) value === null ? this.#drop(slot.key) : this.#add(slot);
    });
  }

  #slot(key: string): Slot | undefined {
    if (!key.startsWith(this.#events)) return;
    const [at, chars, id] = key.slice(this.#events.length).split('.');
    return { key, at: parseInt(at!, 36), chars: parseInt(chars!, 36), id: id! };
  }

  #index(): Slot[] {
    if (!this.#order) {
      this.#order = [];
      this.#chars = 0;
      for (const key of this.#kv.keys()) {
        const slot = this.#slot(key);
        if (slot) this.#order.push(slot), (this.#chars += slot.chars);
      }
      // Two tabs' events with one order number came at once: either order is theirs.
      this.#order.sort((a, b) => a.at - b.at);
    }
    return this.#order;
  }

  #add(slot: Slot): void {
    const order = this.#order!;
    // Usually the newest: its place is found from the end.
    let i = order.length;
    while (i && slot.at < order[i - 1]!.at) i--;
    order.splice(i, 0, slot);
    this.#chars += slot.chars;
  }

  #drop(key: string): void {
    const i = this.#order?.findIndex((s) => s.key === key) ?? -1;
    if (i < 0) return;
    this.#chars -= this.#order!.splice(i, 1)[0]!.chars;
  }

  /**
   * The record under this slot, or nothing when another tab removed it meanwhile. (Chromium may
   * still return a value another tab removed a moment ago: that event is sent again, and the
   * server's dedupe absorbs it.)
   */
  #read(slot: Slot): QueueRecord | undefined {
    try {
      return { ...(JSON.parse(this.#kv.getItem(slot.key) ?? '') as NewRecord), chunk: slot.at };
    } catch {
      return undefined;
    }
  }

  #remove(slot: Slot): QueueRecord | undefined {
    const record = this.#read(slot);
    this.#kv.removeItem(slot.key);
    this.#drop(slot.key);
    return record;
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const queued = this.#index();
    const stored: QueueRecord[] = [];
    const evicted: QueueRecord[] = [];
    const overQuota: QueueRecord[] = [];
    const evictOldest = (into: QueueRecord[]): boolean => {
      const oldest = queued[0];
      const record = oldest && this.#remove(oldest);
      if (record) into.push(record);
      return !!oldest;
    };
    for (const r of records) {
      const text = JSON.stringify({ id: r.id, json: r.json, messageId: r.messageId, enqueuedAt: r.enqueuedAt });
      // Above the newest known, whatever the clock says: the queue's order is the order of calls.
      const at = Math.max((queued[queued.length - 1]?.at ?? 0) + 1, r.enqueuedAt);
      const key = `${this.#events}${at.toString(36)}.${text.length.toString(36)}.${r.id}`;
      while (queued.length >= maxEvents && evictOldest(evicted));
      while (this.#chars + text.length > MAX_CHARS && evictOldest(overQuota));
      for (;;) {
        try {
          this.#kv.setItem(key, text);
          this.#add(this.#slot(key)!);
          stored.push({ ...r, chunk: at });
          break;
        } catch {
          // The quota: make room by evicting the oldest, or give this event up if nothing is left.
          if (!evictOldest(overQuota)) {
            overQuota.push({ ...r, chunk: 0 });
            break;
          }
        }
      }
    }
    // Events evicted in this same call may be ones it just stored.
    const gone = new Set([...evicted, ...overQuota].map((r) => r.id));
    return { stored: stored.filter((r) => !gone.has(r.id)), evicted, overQuota };
  }

  async oldest(limit: number): Promise<QueueRecord[]> {
    const out: QueueRecord[] = [];
    for (const slot of this.#index()) {
      if (out.length >= limit) break;
      // Nothing when another tab removed it and its storage event has not come yet.
      const r = this.#read(slot);
      if (r) out.push(r);
    }
    return out;
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    const ids = new Set(records.map((r) => r.id));
    for (const slot of this.#index().filter((s) => ids.has(s.id))) this.#remove(slot);
  }

  async count(): Promise<number> {
    return this.#index().length;
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(this.#kv.getItem(this.#meta + key) ?? '') as T;
    } catch {
      return undefined;
    }
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    this.#kv.setItem(this.#meta + key, JSON.stringify(value));
  }

  close(): void {
    this.#unwatch?.();
  }
}

/** Throws when localStorage is unusable, so the caller can fall back to memory. */
export function localStorageStore(writeKey: string): QueueStore {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) throw new Error('localStorage is not available');
  const probe = prefix(writeKey) + 'p';
  ls.setItem(probe, '1');
  ls.removeItem(probe);
  return new KeyValueStore('localStorage', {
    getItem: (k) => ls.getItem(k),
    setItem: (k, v) => ls.setItem(k, v),
    removeItem: (k) => ls.removeItem(k),
    // One call for all the keys: key(i) in a loop costs a copy of the key list per call in some engines.
    keys: () => Object.keys(ls),
    watch(fn) {
      const heard = (e: StorageEvent) => e.storageArea === ls && fn(e.key, e.newValue);
      addEventListener('storage', heard);
      return () => removeEventListener('storage', heard);
    },
  }, writeKey);
}
