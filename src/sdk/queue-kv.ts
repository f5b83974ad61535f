import type { AppendResult, NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/** The part of the Storage interface the queue uses (localStorage, or a Map for memory). */
type KeyValue = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The queue's index: first and next sequence numbers, events and characters queued, meta values. */
interface Index {
  head: number;
  next: number;
  count: number;
  chars: number;
  meta: Record<string, unknown>;
}

/**
 * localStorage's quota is about 5 M characters per origin, shared with the page's own data:
 * the queue keeps to 2 M, and still handles a full storage when the page took the rest.
 */
const MAX_CHARS = 2_000_000;

/**
 * The synchronous backends (localStorage, memory): one key per event, named by a sequence
 * number (its chunk: the FIFO order), and one small index. An operation touches the index and
 * the events it concerns, never the whole queue; each is synchronous and so atomic in a tab.
 * Beyond MAX_CHARS or the browser's quota the oldest events are evicted and reported; an event
 * that cannot be stored at all is reported too, never lost in silence.
 */
export class KeyValueStore implements QueueStore {
  readonly #kv: KeyValue;
  readonly #key: string;

  constructor(readonly kind: 'localStorage' | 'memory', kv: KeyValue, writeKey: string) {
    this.#kv = kv;
    this.#key = `ferry_q_${writeKey}`;
  }

  #index(): Index {
    try {
      const index = JSON.parse(this.#kv.getItem(this.#key) ?? '') as Index;
      if (index.next >= index.head) return index;
    } catch {
      // none yet, or unreadable: start over
    }
    return { head: 1, next: 1, count: 0, chars: 0, meta: {} };
  }

  /**
   * Writes the index. When that hits the quota after an append (its numbers grew), the oldest
   * events are evicted into `into` until it fits. With none left the old index is removed
   * (no index is a true one for an empty queue) and written again if it fits, else its meta is
   * lost. Either way the index on disk then tells the truth about every event key.
   */
  #save(index: Index, into?: QueueRecord[]): void {
    const text = () => JSON.stringify(index);
    for (;;) {
      try {
        return this.#kv.setItem(this.#key, text());
      } catch (err) {
        if (!into) throw err;
        if (!this.#evictOldest(index, into)) {
          this.#kv.removeItem(this.#key);
          try {
            this.#kv.setItem(this.#key, text());
          } catch {
            // the page's own data leaves no room even for that: start over next time
          }
          return;
        }
      }
    }
  }

  #read(index: Index, seq: number): QueueRecord | undefined {
    const raw = this.#kv.getItem(`${this.#key}_${seq}`);
    if (!raw) return undefined;
    try {
      return { ...(JSON.parse(raw) as NewRecord), chunk: seq };
    } catch {
      return undefined;
    }
  }

  /** Removes one stored event and moves the head past the gaps it leaves at the front. */
  #delete(index: Index, seq: number): void {
    const raw = this.#kv.getItem(`${this.#key}_${seq}`);
    if (raw !== null) {
      this.#kv.removeItem(`${this.#key}_${seq}`);
      index.count--;
      index.chars -= raw.length;
    }
    while (index.head < index.next && this.#kv.getItem(`${this.#key}_${index.head}`) === null) index.head++;
  }

  /** Evicts the oldest event; false when there is none. */
  #evictOldest(index: Index, into: QueueRecord[]): boolean {
    const oldest = this.#read(index, index.head);
    if (!oldest) return false;
    this.#delete(index, index.head);
    into.push(oldest);
    return true;
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const index = this.#index();
    const stored: QueueRecord[] = [];
    const evicted: QueueRecord[] = [];
    const overQuota: QueueRecord[] = [];
    for (const r of records) {
      const text = JSON.stringify(r);
      while (index.count >= maxEvents && this.#evictOldest(index, evicted));
      while (index.chars + text.length > MAX_CHARS && this.#evictOldest(index, overQuota));
      const seq = index.next;
      for (;;) {
        try {
          this.#kv.setItem(`${this.#key}_${seq}`, text);
          index.next++;
          index.count++;
          index.chars += text.length;
          stored.push({ ...r, chunk: seq });
          break;
        } catch {
          // The quota: make room by evicting the oldest, or give this event up if nothing is left.
          if (!this.#evictOldest(index, overQuota)) {
            overQuota.push({ ...r, chunk: 0 });
            break;
          }
        }
      }
    }
    this.#save(index, overQuota);
    // Events evicted in this same call may be ones it just stored.
    const gone = new Set([...evicted, ...overQuota].map((r) => r.id));
    return { stored: stored.filter((r) => !gone.has(r.id)), evicted, overQuota };
  }

  async oldest(limit: number): Promise<QueueRecord[]> {
    const index = this.#index();
    const out: QueueRecord[] = [];
    for (let seq = index.head; seq < index.next && out.length < limit; seq++) {
      const r = this.#read(index, seq);
      if (r) out.push(r);
    }
    return out;
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    const index = this.#index();
    for (const r of records) if (this.#read(index, r.chunk)?.id === r.id) this.#delete(index, r.chunk);
    this.#save(index);
  }

  async count(): Promise<number> {
    return this.#index().count;
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.#index().meta[key] as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    const index = this.#index();
    index.meta[key] = value;
    this.#save(index);
  }

  close(): void {}
}

export function memoryStore(): QueueStore {
  const map = new Map<string, string>();
  return new KeyValueStore('memory', {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }, '');
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
