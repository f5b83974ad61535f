// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../../src/sdk/open-store.js';
import { localStorageStore } from '../../../src/sdk/queue-kv.js';
import { memoryStore } from '../../../src/sdk/queue-memory.js';
import type { FallbackInfo } from '../../../src/sdk/open-store.js';

/** The localStorage queue's chunk, as the npm build fetches it. */
const loadKv = () => import('../../../src/sdk/queue-kv.js');

const rec = (n: number) => ({ id: `local-${n}`, json: `{"n":${n}}`, messageId: `m${n}`, enqueuedAt: n });

let savedIdb: unknown;
beforeEach(() => {
  savedIdb = (globalThis as { indexedDB?: unknown }).indexedDB;
  localStorage.clear();
});
afterEach(() => {
  (globalThis as { indexedDB?: unknown }).indexedDB = savedIdb;
});

describe('storage fallback', () => {
  it('uses localStorage where IndexedDB is missing, and says so once', async () => {
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    const told: FallbackInfo[] = [];
    const store = await openStore('k1', 'auto', (i) => told.push(i), loadKv);
    expect(store.kind).toBe('localStorage');
    expect(told).toEqual([{ from: 'indexeddb', to: 'localStorage', reason: expect.stringContaining('indexedDB') }]);
    await store.append([rec(1), rec(2)], 100);
    // A second tab (a new store over the same localStorage) sees the same queue, in order.
    const other = await openStore('k1', 'localStorage', () => {}, loadKv);
    expect((await other.oldest(10)).map((r) => r.messageId)).toEqual(['m1', 'm2']);
  });

  it('uses localStorage where opening IndexedDB fails (private modes)', async () => {
    (globalThis as { indexedDB?: unknown }).indexedDB = {
      open() {
        throw new DOMException('The user denied permission to access the database.', 'InvalidStateError');
      },
    };
    const told: FallbackInfo[] = [];
    const store = await openStore('k2', 'auto', (i) => told.push(i), loadKv);
    expect(store.kind).toBe('localStorage');
    expect(told[0]!.reason).toContain('denied permission');
  });

  it('falls back to memory when localStorage throws too', async () => {
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    const real = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    const full = { getItem: () => null, removeItem: () => {}, setItem: () => {
      throw new DOMException('quota', 'QuotaExceededError');
    } };
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get: () => full });
    try {
      const told: FallbackInfo[] = [];
      const store = await openStore('k3', 'auto', (i) => told.push(i), loadKv);
      expect(store.kind).toBe('memory');
      expect(told).toEqual([{ from: 'indexeddb', to: 'memory', reason: expect.stringContaining('quota') }]);
    } finally {
      if (real) Object.defineProperty(globalThis, 'localStorage', real);
    }
  });

  it('the localStorage and memory stores keep FIFO order, remove exact records and evict the oldest beyond the cap', async () => {
    for (const store of [localStorageStore('fifo'), memoryStore()]) {
      const { stored } = await store.append([rec(1), rec(2), rec(3)], 100);
      await store.remove([stored[1]!]);
      expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m1', 'm3']);
      const { evicted } = await store.append([rec(4), rec(5)], 3);
      expect(evicted.map((r) => r.messageId)).toEqual(['m1']);
      expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m3', 'm4', 'm5']);
      expect(await store.count()).toBe(3);
    }
  });

  it('keeps localStorage under its quota: evicts the oldest and reports them, never loses an append in silence', async () => {
    const big = (n: number) => ({ ...rec(n), json: `{"n":${n},"pad":"${'p'.repeat(600)}"}` });
    // A localStorage with room for about 40 such events (the page keeps the rest of the quota).
    localStorage.clear();
    const limitChars = 30_000;
    const used = () => Object.keys(localStorage).reduce((n, k) => n + k.length + localStorage.getItem(k)!.length, 0);
    const setItem = localStorage.setItem.bind(localStorage);
    const spy = vi.spyOn(localStorage, 'setItem').mockImplementation((k: string, v: string) => {
      if (used() - (localStorage.getItem(k)?.length ?? 0) + k.length + v.length > limitChars) throw new DOMException('full', 'QuotaExceededError');
      setItem(k, v);
    });
    try {
      const store = localStorageStore('quota');
      const lost: string[] = [];
      const kept: string[] = [];
      for (let i = 0; i < 100; i++) {
        const { stored, evicted, overQuota = [] } = await store.append([big(i)], 10_000);
        kept.push(...stored.map((r) => r.messageId));
        lost.push(...evicted.map((r) => r.messageId), ...overQuota.map((r) => r.messageId));
      }
      const queued = (await store.oldest(1000)).map((r) => r.messageId);
      // Every append is either still queued or reported: none vanished.
      expect(new Set([...queued, ...lost]).size).toBe(100);
      expect(queued.length + lost.length).toBe(100);
      expect(queued.length).toBeGreaterThan(30);
      // The newest are kept, in order; the oldest went.
      expect(queued).toEqual(Array.from({ length: queued.length }, (_, i) => `m${100 - queued.length + i}`));
      expect(await store.count()).toBe(queued.length);
    } finally {
      spy.mockRestore();
      localStorage.clear();
    }
  });

  it('bounds the localStorage queue by characters, and its operations touch the batch, not the queue', async () => {
    const store = localStorageStore('bounded');
    const event = (n: number) => ({ ...rec(n), json: `{"n":${n},"pad":"${'q'.repeat(630)}"}` });
    const dropped: string[] = [];
    for (let i = 0; i < 10_000; i += 500) {
      const { overQuota = [] } = await store.append(Array.from({ length: 500 }, (_, j) => event(i + j)), 10_000);
      dropped.push(...overQuota.map((r) => r.messageId));
    }
    const chars = Object.keys(localStorage).filter((k) => k.startsWith('ferry_q_7_bounded_e')).reduce((n, k) => n + localStorage.getItem(k)!.length, 0);
    expect(chars).toBeLessThanOrEqual(2_100_000);
    expect(dropped.length).toBeGreaterThan(5000);
    expect((await store.count()) + dropped.length).toBe(10_000);
    // Reading a batch and removing it reads only the index and those events.
    const getItem = vi.spyOn(localStorage, 'getItem');
    const batch = await store.oldest(10);
    expect(batch.map((r) => r.messageId)).toEqual(Array.from({ length: 10 }, (_, i) => `m${dropped.length + i}`));
    await store.remove(batch);
    expect(getItem.mock.calls.length).toBeLessThan(60);
    getItem.mockRestore();
  });
});
