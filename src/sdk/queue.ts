import type { NewRecord, QueueRecord, QueueStore } from './queue-store.js';

/**
 * The write side of the queue. Calls made in the same task are buffered and written in
 * one transaction at the end of that task (a microtask), so track() costs no I/O and a
 * burst becomes a handful of transactions. Until the store has opened, records wait here.
 *
 * It also mirrors this tab's records that it has not seen acknowledged, so a page that is
 * being hidden can hand them to a keepalive request synchronously (IndexedDB is async).
 */
export class WriteQueue {
  private buffer: NewRecord[] = [];
  private scheduled = false;
  private store: QueueStore | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** messageId -> record for this tab's unacknowledged records, oldest first (Map keeps insertion order). */
  private readonly mirror = new Map<string, QueueRecord>();
  private static readonly MIRROR_MAX = 2000;

  constructor(
    private readonly maxEvents: () => number,
    private readonly onWritten: (count: number, evicted: QueueRecord[]) => void,
    private readonly onError: (err: unknown, lost: NewRecord[]) => void,
  ) {}

  attach(store: QueueStore): void {
    this.store = store;
    if (this.buffer.length > 0) this.schedule();
  }

  push(record: NewRecord): void {
    this.buffer.push(record);
    if (this.store) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const records = this.buffer;
      this.buffer = [];
      // Transactions are chained so that FIFO order across tasks is the order of calls.
      this.writing = this.writing.then(() => this.write(records));
    });
  }

  private async write(records: NewRecord[]): Promise<void> {
    const store = this.store!;
    try {
      const { stored, evicted } = await store.append(records, this.maxEvents());
      for (const r of stored) this.mirror.set(r.messageId, r);
      this.forget(evicted);
      while (this.mirror.size > WriteQueue.MIRROR_MAX) this.mirror.delete(this.mirror.keys().next().value!);
      this.onWritten(stored.length, evicted);
    } catch (err) {
      this.onError(err, records);
    }
  }

  /** Resolves when everything pushed so far (once the store is attached) is in the store. */
  async settled(): Promise<void> {
    // The microtask that hands the buffer to `writing` runs before this continues.
    await null;
    await this.writing;
  }

  forget(records: Iterable<{ messageId: string }>): void {
    for (const r of records) this.mirror.delete(r.messageId);
  }

  /** This tab's unacknowledged records (persisted, with their chunk, or still buffered), oldest first. */
  unacknowledged(): Array<NewRecord & { chunk?: number }> {
    return [...this.mirror.values(), ...this.buffer];
  }

  pendingWrites(): number {
    return this.buffer.length;
  }
}
