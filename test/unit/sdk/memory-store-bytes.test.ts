import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/sdk/queue-memory.js';

// Before the kv chunk, the memory fallback was the KeyValueStore over a Map, bounded at
// MAX_CHARS (2,000,000 characters) like localStorage, evicting the oldest as `overQuota` (reported
// as dropped, reason 'quota'); its first rewrite bounded only the count (maxQueueEvents, 10,000
// by default): an offline page can hold 10,000 × 32 KB ≈ 320 MB of events in its heap.
describe('memory store: bounded in size, not only in count', () => {
  it('keeps at most ~2,000,000 characters of events, the oldest evicted and reported', async () => {
    const store = memoryStore();
    const json = `{"p":"${'x'.repeat(20_000)}"}`;
    let overQuota = 0;
    for (let i = 0; i < 500; i++) {
      const out = await store.append([{ id: `r${i}`, json, messageId: `m${i}`, enqueuedAt: 0 }], 10_000);
      overQuota += (out.overQuota?.length ?? 0) + out.evicted.length;
    }
    const kept = await store.oldest(Infinity);
    const chars = kept.reduce((n, r) => n + r.json.length, 0);
    console.log(`memory store holds ${kept.length} events, ${chars} characters; ${overQuota} evicted`);
    expect(chars).toBeLessThanOrEqual(2_000_000);
  });
});
