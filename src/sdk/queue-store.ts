/**
 * What a queued event is, and the storage contract every backend meets.
 * Records are plain JSON-serializable data: the event is kept as the JSON text that
 * will go on the wire, so a flush concatenates strings instead of re-serializing.
 */

export interface NewRecord {
  /**
   * The local key of this queued event, unique in the browser profile, given when it is queued.
   * Every storage operation goes by it: a messageId is the page's (or its middleware's) to
   * choose and may repeat.
   */
  id: string;
  /** The event, serialized once at the call. */
  json: string;
  messageId: string;
  /** Epoch ms when queued, for maxEventAgeMs. */
  enqueuedAt: number;
}

export interface QueueRecord extends NewRecord {
  /**
   * The storage chunk holding this event. Chunks are keyed by auto-increment and events keep
   * their order inside a chunk: (chunk, position) is the FIFO order shared by every tab.
   */
  chunk: number;
}

export type StoreKind = 'indexeddb' | 'localStorage' | 'memory';

export interface AppendResult {
  /** The appended records with their chunk. */
  stored: QueueRecord[];
  /** Oldest records removed to respect the queue cap, in the same transaction. */
  evicted: QueueRecord[];
}

export interface QueueStore {
  readonly kind: StoreKind;
  /** Appends in order and evicts the oldest beyond maxEvents, atomically. */
  append(records: NewRecord[], maxEvents: number): Promise<AppendResult>;
  /** The oldest `limit` records, oldest first. */
  oldest(limit: number): Promise<QueueRecord[]>;
  /** Deletes exactly these records (by chunk and id), atomically; missing ones are ignored. */
  remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void>;
  count(): Promise<number>;
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta(key: string, value: unknown): Promise<void>;
  close(): void;
}

interface ArrayState {
  seq: number;
  records: QueueRecord[];
  meta: Record<string, unknown>;
}

/**
 * The synchronous backends (memory, localStorage) share one implementation: an array of
 * records plus load/save hooks; each record is its own chunk. localStorage reloads before
 * each operation, so other tabs' writes are seen; every operation is synchronous and
 * therefore atomic.
 */
export class ArrayStore implements QueueStore {
  private state: ArrayState = { seq: 0, records: [], meta: {} };

  constructor(
    readonly kind: 'localStorage' | 'memory',
    private readonly load: () => ArrayState | undefined = () => undefined,
    private readonly save: (state: ArrayState) => void = () => {},
  ) {}

  private sync(): ArrayState {
    const loaded = this.load();
    if (loaded) this.state = loaded;
    return this.state;
  }

  async append(records: NewRecord[], maxEvents: number): Promise<AppendResult> {
    const state = this.sync();
    const stored = records.map((r) => ({ ...r, chunk: ++state.seq }));
    state.records.push(...stored);
    const over = state.records.length - maxEvents;
    const evicted = over > 0 ? state.records.splice(0, over) : [];
    this.save(state);
    return { stored, evicted };
  }

  async oldest(limit: number): Promise<QueueRecord[]> {
    return this.sync().records.slice(0, limit);
  }

  async remove(records: ReadonlyArray<Pick<QueueRecord, 'chunk' | 'id'>>): Promise<void> {
    const state = this.sync();
    const gone = new Set(records.map((r) => r.chunk));
    state.records = state.records.filter((r) => !gone.has(r.chunk));
    this.save(state);
  }

  async count(): Promise<number> {
    return this.sync().records.length;
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return this.sync().meta[key] as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    const state = this.sync();
    state.meta[key] = value;
    this.save(state);
  }

  close(): void {}
}

export function memoryStore(): QueueStore {
  return new ArrayStore('memory');
}

/** Throws when localStorage is unusable, so the caller can fall back to memory. */
export function localStorageStore(writeKey: string): QueueStore {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) throw new Error('localStorage is not available');
  const key = `ferry_queue_${writeKey}`;
  const probe = `${key}_probe`;
  ls.setItem(probe, '1');
  ls.removeItem(probe);
  return new ArrayStore(
    'localStorage',
    () => {
      const raw = ls.getItem(key);
      if (!raw) return undefined;
      try {
        return JSON.parse(raw) as ArrayState;
      } catch {
        return undefined;
      }
    },
    (state) => ls.setItem(key, JSON.stringify(state)),
  );
}
