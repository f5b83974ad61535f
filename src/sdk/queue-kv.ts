import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/** The part of the Storage interface the queue uses (localStorage itself, or a Map for memory). */
type KeyValue = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * An event's key says everything the queue's order and size need, so that reading a batch or
 * removing one reads only those events: `<prefix><queued at>.<page>.<seq>.<chars>.<id>`, the
 * numbers in base 36, the page a random name per page load and seq its count of events.
 */
interface Slot {
  key: string;
  at: number;
  page: string;
  seq: number;
  chars: number;
  id: string;
}

/**
 * localStorage's quota is about 5 M characters per origin, shared with the page's own data:
 * the queue keeps to 2 M, and still handles a full storage when the page took the rest.
 */
const MAX_CHARS = 2_000_000;

/**
 * The synchronous backends (localStorage, memory): one key per event and one per meta value.
 * Tabs of an origin share localStorage but no lock around a read-modify-write, so nothing here
 * is ever read, changed and written back (a shared index was, and two tabs lost each other's
 * events): a page only adds keys of its own and removes keys, and the queue's order and size
 * are read from the keys. Order: each page's events in the order it queued them, pages
 * interleaved by queueing time. Beyond MAX_CHARS or the browser's quota the oldest events are
 * evicted and reported; an event that cannot be stored at all is reported too, never lost in
 * silence.
 */
export class KeyValueStore implements QueueStore {
  readonly #kv: KeyValue;
  readonly #keys: () => Iterable<string>;
  readonly #events: string;
  readonly #meta: string;
  readonly #page = Math.random().toString(36).slice(2, 10);
  #seq = 0;

  /**
   * `keys` lists every key of `kv`; for localStorage, one call for all of them: key(i) in a loop
   * costs a copy of the key list per call in some engines.
   */
  constructor(readonly kind: 'localStorage' | 'memory', kv: KeyValue, writeKey: string, keys: () => Iterable<string> = () => Object.keys(kv)) {
    this.#kv = kv;
    this.#keys = keys;
    this.#events = `ferry_q_${writeKey}_e_`;
    this.#meta = `ferry_q_${writeKey}_m_`;
  }

  /** Every queued event's slot, oldest first. */
  #slots(): Slot[] {
    const pages = new Map<string, Slot[]>();
    for (const key of this.#keys()) {
      if (!key.startsWith(this.#events)) continue;
      const [at, page, seq, chars, ...id] = key.slice(this.#events.length).split('.');
      const slot = { key, at: parseInt(at!, 36), page: page!, seq: parseInt(seq!, 36), chars: parseInt(chars!, 36), id: id.join('.') };
      let list = pages.get(slot.page);
      if (!list) pages.set(slot.page, (list = []));
      list.push(slot);
    }
    const lists = [...pages.values()].map((list) => list.sort((a, b) => a.seq - b.seq));
    const out: Slot[] = [];
    for (;;) {
      let first: Slot[] | undefined;
      for (const list of lists) if (list.length && (!first || list[0]!.at < first[0]!.at)) first = list;
      if (!first) return out;
      out.push(first.shift()!);
    }
  }

  #read(slot: Slot): QueueRecord | undefined {
    try {
      return { ...(JSON.parse(this.#kv.getItem(slot.key)!) as NewRecord), chunk: slot.seq };
    } catch {
      // removed meanwhile by another tab
      return undefined;
    }
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const queued = this.#slots();
    let chars = queued.reduce((n, q) => n + q.chars, 0);
    const stored: QueueRecord[] = [];
    const evicted: QueueRecord[] = [];
    const overQuota: QueueRecord[] = [];
    const evictOldest = (into: QueueRecord[]): boolean => {
      const oldest = queued.shift();
      if (!oldest) return false;
      const record = this.#read(oldest);
      this.#kv.removeItem(oldest.key);
      chars -= oldest.chars;
      if (record) into.push(record);
      return true;
    };
    for (const r of records) {
      const text = JSON.stringify({ id: r.id, json: r.json, messageId: r.messageId, enqueuedAt: r.enqueuedAt });
      const seq = ++this.#seq;
      const key = `${this.#events}${r.enqueuedAt.toString(36)}.${this.#page}.${seq.toString(36)}.${text.length.toString(36)}.${r.id}`;
      while (queued.length >= maxEvents && evictOldest(evicted));
      while (chars + text.length > MAX_CHARS && evictOldest(overQuota));
      for (;;) {
        try {
          this.#kv.setItem(key, text);
          queued.push({ key, at: r.enqueuedAt, page: this.#page, seq, chars: text.length, id: r.id });
          chars += text.length;
          stored.push({ ...r, chunk: seq });
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
    for (const slot of this.#slots()) {
      if (out.length >= limit) break;
      const r = this.#read(slot);
      if (r) out.push(r);
    }
    return out;
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    const ids = new Set(records.map((r) => r.id));
    for (const slot of this.#slots()) if (ids.has(slot.id)) this.#kv.removeItem(slot.key);
  }

  async count(): Promise<number> {
    return this.#slots().length;
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

  close(): void {}
}

export function memoryStore(): QueueStore {
  const map = new Map<string, string>();
  return new KeyValueStore('memory', {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }, '', () => map.keys());
}

/** Throws when localStorage is unusable, so the caller can fall back to memory. */
export function localStorageStore(writeKey: string): QueueStore {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) throw new Error('localStorage is not available');
  const probe = `ferry_q_${writeKey}_probe`;
  ls.setItem(probe, '1');
  ls.removeItem(probe);
  return new KeyValueStore('localStorage', ls, writeKey);
}
