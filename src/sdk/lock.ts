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

/**
 * Without Web Locks (browsers older than 2022) there is no cross-tab lock: each tab sends on its
 * own (the flusher already keeps one drain at a time per tab), and the server's dedupe by
 * messageId absorbs what two tabs may both send.
 */
const noLock: FlushLock = { kind: 'tab', withLock: (fn) => fn(), held: async () => false };

export function createFlushLock(writeKey: string): FlushLock {
  const locks = webLocks();
  const name = `ferry-flush-${writeKey}`;
  return locks
    ? {
        kind: 'web-locks',
        withLock: (fn) => locks.request(name, fn),
        held: async () => !!(await locks.query?.())?.held?.some((l) => l.name === name),
      }
    : noLock;
}
