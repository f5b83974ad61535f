import { uuidv4 } from '../protocol/uuid.js';
import type { NewRecord, QueueRecord, QueueStore } from './queue-store.js';

let tabPrefix: string | undefined;
let localCount = 0;

/** A local key unique in the profile: a random per-page prefix and a counter. */
export function localId(): string {
  return (tabPrefix ??= uuidv4().slice(0, 13)) + (++localCount).toString(36);
}

const MIRROR_MAX = 2000;

/**
 * The write side of the queue. Calls made in the same task are buffered and written in
 * one transaction at the end of that task (a microtask), so track() costs no I/O and a
 * burst becomes a handful of transactions. Until the store has opened, records wait here.
 *
 * It also mirrors this tab's records that it has not seen settled, so a page that is being
 * hidden can hand them to a keepalive request synchronously (IndexedDB is async). The mirror
 * is always the oldest of this tab's unsettled records: once one could not be kept, newer
 * ones are not kept either until it is known settled, so a page-hide request can never send
 * a newer event of this tab without the older ones.
 */
export class WriteQueue {
  #buffer: NewRecord[] = [];
  /**
   * Records handed to a store append that has not completed, oldest first. A page-hide
   * handler can run between the microtask that empties the buffer and the append's end (a
   * browser runs microtasks between listeners): they must stay visible to it until then.
   */
  #appending: NewRecord[] = [];
  #scheduled = false;
  #store: QueueStore | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** id -> record for this tab's unsettled records, oldest first (Map keeps insertion order). */
  readonly #mirror = new Map<string, QueueRecord>();
  /** ids of this tab's unsettled records that did not fit the mirror. */
  readonly #skipped = new Set<string>();

  readonly #maxEvents: () => number;
  readonly #onWritten: (count: number, evicted: QueueRecord[], overQuota: Array<{ id: string; messageId: string }>) => void;
  readonly #onError: (err: unknown, lost: NewRecord[]) => void;

  constructor(maxEvents: () => number, onWritten: (count: number, evicted: QueueRecord[], overQuota: Array<{ id: string; messageId: string }>) => void, onError: (err: unknown, lost: NewRecord[]) => void) {
    this.#maxEvents = maxEvents;
    this.#onWritten = onWritten;
    this.#onError = onError;
  }

  attach(store: QueueStore): void {
    this.#store = store;
    if (this.#buffer.length > 0) this.#schedule();
  }

  push(record: Omit<NewRecord, 'id'>): void {
    this.#buffer.push({ id: localId(), ...record });
    if (this.#store) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const records = this.#buffer;
      this.#buffer = [];
      this.#appending.push(...records);
      // Transactions are chained so that FIFO order across tasks is the order of calls.
      this.#writing = this.#writing.then(() => this.#write(records));
    });
  }

  async #write(records: NewRecord[]): Promise<void> {
    const store = this.#store!;
    try {
      const { stored, evicted, overQuota = [] } = await store.append(records, this.#maxEvents());
      for (const r of stored) {
        if (this.#skipped.size || this.#mirror.size >= MIRROR_MAX) this.#skipped.add(r.id);
        else this.#mirror.set(r.id, r);
      }
      this.forget([...evicted, ...overQuota].map((r) => r.id));
      this.#onWritten(stored.length, evicted, overQuota);
    } catch (err) {
      this.#onError(err, records);
    } finally {
      // Appends are chained, so the ones completing are always the oldest still listed.
      this.#appending.splice(0, records.length);
    }
  }

  /** Resolves when everything pushed so far (once the store is attached) is in the store. */
  async settled(): Promise<void> {
    // The microtask that hands the buffer to `writing` runs before this continues.
    await null;
    await this.#writing;
  }

  /** These records are settled (delivered or dropped, by any tab): never send them again. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      this.#mirror.delete(id);
      this.#skipped.delete(id);
    }
  }

  /**
   * This tab's oldest unsettled records (persisted, with their chunk, then being appended,
   * then still buffered), oldest first; the unpersisted ones only while nothing older is
   * missing from the mirror.
   */
  unsettled(): Array<NewRecord & { chunk?: number }> {
    const mirrored = [...this.#mirror.values()];
    return this.#skipped.size ? mirrored : [...mirrored, ...this.#appending, ...this.#buffer];
  }

  /** The persisted record with this id, if this tab queued it and it is unsettled. */
  persisted(id: string): QueueRecord | undefined {
    return this.#mirror.get(id);
  }

  pendingWrites(): number {
    return this.#buffer.length;
  }
}
