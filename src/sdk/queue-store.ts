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
  /** Records removed, or not stored at all, because the storage is full (localStorage's quota). */
  overQuota?: Array<Pick<NewRecord, 'id' | 'messageId'>>;
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
