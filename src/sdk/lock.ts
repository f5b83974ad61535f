/**
 * One flusher per origin and write key: every tab drains the shared queue only while it
 * holds an exclusive lock, so exactly one batch is in flight at a time whatever the number
 * of tabs (G3). Web Locks are in every browser since 2022.
 */

export interface FlushLock {
  readonly kind: 'web-locks' | 'tab';
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether some tab (this one included) is draining now. */
  held(): Promise<boolean>;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  query?(): Promise<{ held?: Array<{ name?: string }> }>;
}

function webLocks(): LockManagerLike | undefined {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : undefined;
}

class WebLock implements FlushLock {
  readonly kind = 'web-locks' as const;
  constructor(private readonly locks: LockManagerLike, private readonly name: string) {}
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.locks.request(this.name, fn);
  }
  async held(): Promise<boolean> {
    const state = await this.locks.query?.();
    return !!state?.held?.some((l) => l.name === this.name);
  }
}

/**
 * Without Web Locks (browsers older than 2022) there is no cross-tab lock: each tab sends on its
 * own (the flusher already keeps one drain at a time per tab), and the server's dedupe by
 * messageId absorbs what two tabs may both send.
 */
const noLock: FlushLock = { kind: 'tab', withLock: (fn) => fn(), held: async () => false };

export function createFlushLock(writeKey: string): FlushLock {
  const locks = webLocks();
  return locks ? new WebLock(locks, `ferry-flush-${writeKey}`) : noLock;
}
