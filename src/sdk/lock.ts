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
 * Without Web Locks (browsers older than 2022) each tab serializes its own flushes; tabs
 * may then overlap, and the server's dedupe by messageId absorbs the copies.
 */
class TabLock implements FlushLock {
  readonly kind = 'tab' as const;
  private chain: Promise<unknown> = Promise.resolve();
  private busy = false;

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      this.busy = true;
      try {
        return await fn();
      } finally {
        this.busy = false;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async held(): Promise<boolean> {
    return this.busy;
  }
}

export function createFlushLock(writeKey: string): FlushLock {
  const locks = webLocks();
  return locks ? new WebLock(locks, `ferry-flush-${writeKey}`) : new TabLock();
}
