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
 * a newer event of this tab without the older ones. Its state lives in closures (the
 * minifier shortens them, unlike private names); the class only keeps the name its callers
 * construct.
 */
export class WriteQueue {
  constructor(maxEvents: () => number, onWritten: OnWritten, onError: (err: unknown, lost: NewRecord[]) => void) {
    Object.assign(this, createWriteQueue(maxEvents, onWritten, onError));
  }
}
export interface WriteQueue extends ReturnType<typeof createWriteQueue> {}

type OnWritten = (count: number, evicted: QueueRecord[], overQuota: Array<{ id: string; messageId: string }>) => void;

function createWriteQueue(maxEvents: () => number, onWritten: OnWritten, onError: (err: unknown, lost: NewRecord[]) => void) {
  let buffer: NewRecord[] = [];
  /**
   * Records handed to a store append that has not completed, oldest first. A page-hide
   * handler can run between the microtask that empties the buffer and the append's end (a
   * browser runs microtasks between listeners): they must stay visible to it until then.
   */
  const appending: NewRecord[] = [];
  let scheduled = false;
  let store: QueueStore | undefined;
  let writing: Promise<void> = Promise.resolve();
  /** id -> record for this tab's unsettled records, oldest first (Map keeps insertion order). */
  const mirror = new Map<string, QueueRecord>();
  /** ids of this tab's unsettled records that did not fit the mirror. */
  const skipped = new Set<string>();

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      const records = buffer;
      buffer = [];
      appending.push(...records);
      // Transactions are chained so that FIFO order across tasks is the order of calls.
      writing = writing.then(() => write(records));
    });
  };

  const write = async (records: NewRecord[]): Promise<void> => {
    try {
      const { stored, evicted, overQuota = [] } = await store!.append(records, maxEvents());
      for (const r of stored) {
        if (skipped.size || mirror.size >= MIRROR_MAX) skipped.add(r.id);
        else mirror.set(r.id, r);
      }
      forget([...evicted, ...overQuota].map((r) => r.id));
      onWritten(stored.length, evicted, overQuota);
    } catch (err) {
      onError(err, records);
    } finally {
      // Appends are chained, so the ones completing are always the oldest still listed.
      appending.splice(0, records.length);
    }
  };

  /** These records are settled (delivered or dropped, by any tab): never send them again. */
  const forget = (ids: Iterable<string>): void => {
    for (const id of ids) {
      mirror.delete(id);
      skipped.delete(id);
    }
  };

  return {
    attach(to: QueueStore): void {
      store = to;
      if (buffer.length > 0) schedule();
    },

    push(record: Omit<NewRecord, 'id'>): void {
      buffer.push({ id: localId(), ...record });
      if (store) schedule();
    },

    /** Resolves when everything pushed so far (once the store is attached) is in the store. */
    async settled(): Promise<void> {
      // The microtask that hands the buffer to `writing` runs before this continues.
      await null;
      await writing;
    },

    forget,

    /**
     * This tab's oldest unsettled records (persisted, with their chunk, then being appended,
     * then still buffered), oldest first; the unpersisted ones only while nothing older is
     * missing from the mirror.
     */
    unsettled(): Array<NewRecord & { chunk?: number }> {
      const mirrored = [...mirror.values()];
      return skipped.size ? mirrored : [...mirrored, ...appending, ...buffer];
    },

    /** The persisted record with this id, if this tab queued it and it is unsettled. */
    persisted: (id: string): QueueRecord | undefined => mirror.get(id),

    pendingWrites: (): number => buffer.length,
  };
}
