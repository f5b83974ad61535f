// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbStore } from '../../../src/sdk/queue-db.js';

const rec = (n: number) => ({ json: `{"n":${n}}`, bytes: 7, messageId: `m${n}`, enqueuedAt: n });

describe('IndexedDB queue', () => {
  it('orders by the auto-increment key across appends, removes exactly the given keys', async () => {
    const store = await IdbStore.open(`db-${Math.random()}`);
    const a = await store.append([rec(1), rec(2), rec(3)], 1000);
    const b = await store.append([rec(4)], 1000);
    expect([...a.ids, ...b.ids]).toEqual([1, 2, 3, 4]);
    expect((await store.oldest(2)).map((r) => r.messageId)).toEqual(['m1', 'm2']);
    await store.remove([1, 3]);
    expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m2', 'm4']);
    expect(await store.count()).toBe(2);
    store.close();
  });

  it('evicts the oldest records beyond the cap in the same transaction', async () => {
    const store = await IdbStore.open(`db-${Math.random()}`);
    await store.append([rec(1), rec(2), rec(3)], 4);
    const { evicted } = await store.append([rec(4), rec(5), rec(6)], 4);
    expect(evicted.map((r) => r.messageId)).toEqual(['m1', 'm2']);
    expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m3', 'm4', 'm5', 'm6']);
    store.close();
  });

  it('keeps metadata such as the backoff state', async () => {
    const name = `db-${Math.random()}`;
    const store = await IdbStore.open(name);
    await store.setMeta('backoff', { attempt: 3, nextAttemptAt: 123, status: 503 });
    store.close();
    const again = await IdbStore.open(name);
    expect(await again.getMeta('backoff')).toEqual({ attempt: 3, nextAttemptAt: 123, status: 503 });
    again.close();
  });
});
