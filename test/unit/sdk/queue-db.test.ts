// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openIdbStore } from '../../../src/sdk/queue-db.js';

const rec = (n: number) => ({ id: `local-${n}`, json: `{"n":${n}}`, messageId: `m${n}`, enqueuedAt: n });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => rec(from + i));
const ids = (rs: Array<{ messageId: string }>) => rs.map((r) => r.messageId);

describe('IndexedDB queue', () => {
  it('keeps FIFO order across appends and chunks, and removes exactly the given events', async () => {
    const store = await openIdbStore(`db-${Math.random()}`);
    const a = await store.append(range(1, 3), 10_000);
    await store.append([rec(4)], 10_000);
    // A burst larger than one chunk (500 events) spans several chunks, in order.
    await store.append(range(5, 1204), 10_000);
    expect(new Set(a.stored.map((r) => r.chunk)).size).toBe(1);
    expect(await store.count()).toBe(1204);
    expect(ids(await store.oldest(2))).toEqual(['m1', 'm2']);
    expect(ids(await store.oldest(1204))).toEqual(ids(range(1, 1204)));
    const head = await store.oldest(6);
    await store.remove([head[0]!, head[2]!, head[5]!]);
    expect(ids(await store.oldest(4))).toEqual(['m2', 'm4', 'm5', 'm7']);
    expect(await store.count()).toBe(1201);
    // Removing what is already gone changes nothing.
    await store.remove([head[0]!]);
    expect(await store.count()).toBe(1201);
    store.close();
  });

  it('evicts the oldest events beyond the cap in the same transaction, even inside a chunk', async () => {
    const store = await openIdbStore(`db-${Math.random()}`);
    await store.append(range(1, 3), 4);
    const { evicted } = await store.append(range(4, 6), 4);
    expect(ids(evicted)).toEqual(['m1', 'm2']);
    expect(ids(await store.oldest(10))).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(await store.count()).toBe(4);
    store.close();
  });

  it('keeps metadata such as the backoff state across reopening', async () => {
    const name = `db-${Math.random()}`;
    const store = await openIdbStore(name);
    await store.setMeta('backoff', { attempt: 3, nextAttemptAt: 123, status: 503 });
    store.close();
    const again = await openIdbStore(name);
    expect(await again.getMeta('backoff')).toEqual({ attempt: 3, nextAttemptAt: 123, status: 503 });
    again.close();
  });

  it('opens again, losing nothing, when another connection upgrades the database under it', async () => {
    const name = `db-${Math.random()}`;
    const store = await openIdbStore(name);
    await store.append(range(1, 3), 10_000);
    // Another tab (or a new release) opens a higher version: the store steps aside.
    const upgraded = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(`ferry-${name}`, 7);
      req.onupgradeneeded = () => req.result.createObjectStore('theirs');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    // Written while the other connection holds version 7 open, then read back.
    const appended = store.append(range(4, 6), 10_000);
    await appended;
    expect(ids(await store.oldest(10))).toEqual(ids(range(1, 6)));
    expect(await store.count()).toBe(6);
    upgraded.close();
    // And once more, by a version bump that drops the stores.
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(`ferry-${name}`, 8);
      req.onupgradeneeded = () => {
        req.result.deleteObjectStore('chunks');
        req.result.deleteObjectStore('meta');
      };
      req.onsuccess = () => (req.result.close(), resolve());
      req.onerror = () => reject(req.error);
    });
    await store.append([rec(7)], 10_000);
    expect(ids(await store.oldest(10))).toEqual(['m7']);
    store.close();
  });
});
