import type { QueueRecord, QueueStore } from './queue-store.js';

/**
 * The queue in the page's memory, the last fallback: where neither IndexedDB nor localStorage
 * can be used, or the localStorage queue's chunk could not be fetched. It lasts as long as the
 * page does, and the flusher sends from it as from any other store.
 */
export function memoryStore(): QueueStore {
  let queue: QueueRecord[] = [];
  const meta = new Map<string, unknown>();
  return {
    kind: 'memory',
    async append(records, maxEvents) {
      const stored = records.map((r) => ({ ...r, chunk: 0 }));
      queue.push(...stored);
      const evicted = queue.splice(0, Math.max(0, queue.length - maxEvents));
      return { stored: stored.filter((r) => !evicted.includes(r)), evicted };
    },
    oldest: async (limit) => queue.slice(0, limit),
    async remove(records) {
      const ids = new Set(records.map((r) => r.id));
      queue = queue.filter((r) => !ids.has(r.id));
    },
    count: async () => queue.length,
    getMeta: async <T>(key: string) => meta.get(key) as T | undefined,
    setMeta: async (key, value) => void meta.set(key, value),
    close() {},
  };
}
