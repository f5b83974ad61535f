import type { QueueRecord, QueueStore } from './queue-store.js';

/** As localStorage's quota bounds its queue: a page offline for long cannot fill its heap. */
const MAX_CHARS = 2_000_000;

/**
 * The queue in the page's memory, the last fallback: where neither IndexedDB nor localStorage
 * can be used, or the localStorage queue's chunk could not be fetched. It lasts as long as the
 * page does, and the flusher sends from it as from any other store.
 */
export function memoryStore(): QueueStore {
  let queue: QueueRecord[] = [];
  let chars = 0;
  const meta = new Map<string, unknown>();
  const size = (list: QueueRecord[]) => list.reduce((n, r) => n + r.json.length, 0);
  return {
    kind: 'memory',
    async append(records, maxEvents) {
      const stored = records.map((r) => ({ ...r, chunk: 0 }));
      queue.push(...stored);
      chars += size(stored);
      const evicted = queue.splice(0, Math.max(0, queue.length - maxEvents));
      chars -= size(evicted);
      let n = 0;
      for (let over = chars - MAX_CHARS; over > 0 && n < queue.length; n++) over -= queue[n]!.json.length;
      const overQuota = queue.splice(0, n);
      chars -= size(overQuota);
      const gone = new Set([...evicted, ...overQuota]);
      return { stored: stored.filter((r) => !gone.has(r)), evicted, overQuota };
    },
    oldest: async (limit) => queue.slice(0, limit),
    async remove(records) {
      const ids = new Set(records.map((r) => r.id));
      queue = queue.filter((r) => !ids.has(r.id));
      chars = size(queue);
    },
    count: async () => queue.length,
    getMeta: async <T>(key: string) => meta.get(key) as T | undefined,
    setMeta: async (key, value) => void meta.set(key, value),
    close() {},
  };
}
